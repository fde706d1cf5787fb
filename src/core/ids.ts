// Prefixed, time-ordered identifiers: `ord_01J…`. 48 bits of milliseconds then 80 random bits, in
// Crockford base32, so ids sort by creation time as plain strings and keyset paging can rely on them.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const ID_PREFIXES = {
  tenant: 'ten',
  apiKey: 'key',
  connection: 'con',
  product: 'prd',
  variant: 'var',
  inventory: 'inv',
  order: 'ord',
  orderLine: 'oln',
  shipment: 'shp',
  customer: 'cus',
  category: 'cat',
  operation: 'opr',
  deadLetter: 'dlq',
  event: 'evt',
  webhook: 'whk',
  webhookDelivery: 'whd',
  link: 'lnk',
  profile: 'prf',
  flowException: 'exc',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

let lastMs = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits -> 16 base32 characters.
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Increments the 80-bit random part so ids made within one millisecond still sort in creation order. */
function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/** A monotonic ULID body (26 characters). */
export function ulid(now: number = Date.now()): string {
  if (now <= lastMs) {
    lastRandom = increment(lastRandom);
    now = lastMs;
  } else {
    lastMs = now;
    lastRandom = randomBytes(10);
  }
  return encodeTime(now) + encodeRandom(lastRandom);
}

/**
 * A new id of the given kind.
 * @example newId('order') // 'ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9'
 */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid()}`;
}

const ID_PATTERN = /^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `value` looks like an id of `kind` (used to answer 404 early for malformed ids). */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_PATTERN.test(value);
}

/**
 * Opaque tokens handed out and read back (list cursors, event cursors, adapter pull cursors): JSON in
 * base64url. The one codec every cursor uses; each reader checks the shape it wrote, since a client can
 * send any text back.
 * @example decodeToken(encodeToken(['-created_at', null, 'ord_…'])) // ['-created_at', null, 'ord_…']
 */
export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The JSON inside a token, or undefined when the text is not a token at all. */
export function decodeToken(text: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
