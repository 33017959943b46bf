/**
 * Password hashing with scrypt from node:crypto (no native package to build). Parameters follow OWASP's
 * password storage cheat sheet (N = 2^17, r = 8, p = 1: 128 MiB and about half a second here); they are
 * stored with each hash so they can be raised later without breaking existing accounts.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

let LOG_N = 17;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
/** Hashes at once; each takes 128 MiB, and a login storm must not take the machine's memory. */
const CONCURRENCY = 2;

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

let running = 0;
const waiting: (() => void)[] = [];
async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function options(logN: number, r: number, p: number): ScryptOptions {
  return { N: 2 ** logN, r, p, maxmem: 2 * 128 * r * 2 ** logN };
}

/**
 * Lowers the work factor of new hashes and of the missing-account check, for the fuzzer and benchmarks that
 * post thousands of logins (0.5 s each at the default); the service never calls it.
 */
export function useHashCostForTesting(logN: number): void {
  LOG_N = logN;
}

/** `scrypt$17$8$1$<salt>$<key>` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await limited(() => scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options(LOG_N, R, P)));
  return ['scrypt', LOG_N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time comparison; a malformed or missing hash never matches. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? '').split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    // Same work as a real check, so a missing account answers as slowly as a wrong password.
    await hashPassword(password);
    return false;
  }
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const actual = await limited(() => scrypt(password.normalize('NFKC'), salt, expected.length, options(logN, r, p)));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
