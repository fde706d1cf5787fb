// AES-256-GCM for connection credentials at rest. The key comes from SWITCHYARD_SECRET_KEY, or for the
// embedded default is generated once into the data dir.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SecretBox } from '../core/ports.ts';

const VERSION = 'v1';

/** Accepts 32 bytes as base64/base64url/hex, or derives 32 bytes from a longer passphrase. */
export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  const b64 = Buffer.from(t, 'base64url');
  if (b64.length === 32) return b64;
  if (t.length < 32) throw new Error('SWITCHYARD_SECRET_KEY must be 32 bytes (base64 or hex) or a passphrase of 32+ characters');
  return createHash('sha256').update(t).digest();
}

export class AesGcmSecretBox implements SecretBox {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('secret key must be 32 bytes');
    this.#key = key;
  }
  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
  }
  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('sealed value has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** The key for the embedded default: read from `<dataDir>/secret.key`, created (mode 600) on first start. */
export async function loadOrCreateDataDirKey(dataDir: string): Promise<Buffer> {
  const file = path.resolve(dataDir, 'secret.key');
  if (existsSync(file)) return parseSecretKey(await readFile(file, 'utf8'));
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(32);
  await writeFile(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
