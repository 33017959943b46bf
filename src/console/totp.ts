/**
 * The second factor for console sign-in (ASVS 5 V6.5, NIST AAL2): TOTP (RFC 6238: SHA-1, 6 digits, 30 s,
 * what every authenticator app reads) via `otpauth`, and ten single-use recovery codes. A code is accepted
 * one step either side of now (clock drift) and only for a step later than the last one accepted, so a
 * code seen over a shoulder cannot be used again. Recovery codes carry 50 random bits each and are
 * stored as SHA-256 hashes (their entropy makes a slow hash unnecessary).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

const ISSUER = 'ip-consult-bot';
const PERIOD_S = 30;
const RECOVERY_CODES = 10;
const RECOVERY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'; // 32 symbols: 5 unbiased bits a byte

/** Admins and reviewers see personal data: they may not sign in without a second factor. */
export const SECOND_FACTOR_REQUIRED = new Set(['admin', 'reviewer']);

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, username: string): TOTP {
  return new TOTP({ issuer: ISSUER, label: username, algorithm: 'SHA1', digits: 6, period: PERIOD_S, secret: Secret.fromBase32(secret) });
}

/** The `otpauth://` URI an authenticator app imports (as a QR code or pasted). */
export function totpUri(secret: string, username: string): string {
  return totp(secret, username).toString();
}

/** The current code, for tests and the fuzzer acting as the staff member's phone. */
export function totpCode(secret: string, at = Date.now()): string {
  return totp(secret, '').generate({ timestamp: at });
}

/** The time step a 6-digit `code` is valid for (now ± one step), or undefined. */
export function totpStep(secret: string, code: string, at = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret, '').validate({ token: code, timestamp: at, window: 1 });
  return delta === null ? undefined : Math.floor(at / 1000 / PERIOD_S) + delta;
}

/** Fresh recovery codes (`xxxxx-xxxxx`) to show once, and the hashes to store. */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODES }, () => {
    const chars = [...randomBytes(10)].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
  return { codes, hashes: codes.map(recoveryHash) };
}

export function recoveryHash(code: string): string {
  return createHash('sha256').update(code.trim().toLowerCase().replace(/[^a-z0-9]/g, '')).digest('hex');
}
