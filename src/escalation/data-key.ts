/**
 * Encryption of what a user shares with an agency beyond the masked question (their contact), with
 * CASE_DATA_KEY: AES-256-GCM, a fresh IV per value, stored as `v1.<iv>.<tag>.<ciphertext>` (base64url).
 * Without a configured key the embedded default keeps one in DATA_DIR (created once, mode 0600).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class DataKey {
  private constructor(private readonly key: Buffer) {}

  /** From CASE_DATA_KEY (32 bytes, base64); throws a message naming the variable. */
  static fromBase64(value: string): DataKey {
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32) throw new Error(`CASE_DATA_KEY: expected 32 bytes in base64 (e.g. from \`openssl rand -base64 32\`), got ${key.length}`);
    return new DataKey(key);
  }

  /** The key kept in `${dataDir}/case-data.key`, created on first use. */
  static inDirectory(dataDir: string): DataKey {
    const file = path.join(dataDir, 'case-data.key');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    return DataKey.fromBase64(readFileSync(file, 'utf8').trim());
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(stored: string): string {
    const [version, iv, tag, body] = stored.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unknown ciphertext format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** The contact stored under `key`, or undefined when there is no key or it changed (the contact is lost, the case goes on). */
export function openContact(key: DataKey | undefined, cipher: string): string | undefined {
  try {
    return key?.decrypt(cipher);
  } catch {
    return undefined;
  }
}
