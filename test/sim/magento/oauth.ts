// OAuth 1.0a as Magento verifies it (Magento\Framework\Oauth over laminas-oauth): the signature base string is
// METHOD & enc(normalized URL) & enc(params), where params are the oauth_* header values plus the raw query
// string pairs, each key and value RFC 3986-encoded and the keys sorted in PHP natural order (strnatcmp),
// so `searchCriteria[filterGroups][2]` sorts before `[10]`. HMAC-SHA256 (Magento >= 2.4.4) and HMAC-SHA1.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** PHP's strnatcmp: digit runs compare by value (runs with a leading zero compare left-aligned), the rest bytewise. */
export function strnatcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const isDigit = (c: number) => c >= 48 && c <= 57;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      const ra = a.slice(i, ei);
      const rb = b.slice(j, ej);
      if (ca === 48 || cb === 48) {
        // fractional comparison (PHP compare_left): the first differing digit decides, shorter run is smaller
        const n = Math.min(ra.length, rb.length);
        for (let k = 0; k < n; k++) if (ra[k] !== rb[k]) return ra.charCodeAt(k) < rb.charCodeAt(k) ? -1 : 1;
        if (ra.length !== rb.length) return ra.length < rb.length ? -1 : 1;
      } else {
        if (ra.length !== rb.length) return ra.length < rb.length ? -1 : 1;
        if (ra !== rb) return ra < rb ? -1 : 1;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca < cb ? -1 : 1;
    i++;
    j++;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return 0;
}

/** rawurlencode with '~' kept (laminas HttpUtility::urlEncode). */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** PHP urldecode: '+' is a space. */
function phpUrldecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** scheme://host[:port]/path, lowercase scheme and host, default ports dropped, no query. */
export function normalizeUrl(url: string): string {
  const u = new URL(url);
  const scheme = u.protocol.replace(':', '').toLowerCase();
  const defaultPort = (scheme === 'http' && u.port === '80') || (scheme === 'https' && u.port === '443') || u.port === '';
  return `${scheme}://${u.hostname.toLowerCase()}${defaultPort ? '' : ':' + u.port}${u.pathname}`;
}

/** The query string split the way Magento's OAuth request helper does: on '&' then '=', urldecoded, last one wins. */
export function queryParams(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!rawQuery) return out;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const k = eq < 0 ? pair : pair.slice(0, eq);
    const v = eq < 0 ? '' : pair.slice(eq + 1);
    out[phpUrldecode(k)] = phpUrldecode(v);
  }
  return out;
}

export function signatureBaseString(method: string, url: string, params: Record<string, string>): string {
  const encoded: [string, string][] = [];
  for (const [k, v] of Object.entries(params)) if (k !== 'oauth_signature') encoded.push([rfc3986(k), rfc3986(v)]);
  encoded.sort((x, y) => strnatcmp(x[0], y[0]));
  const normalized = encoded.map(([k, v]) => `${k}=${v}`).join('&');
  return `${method.toUpperCase()}&${rfc3986(normalizeUrl(url))}&${rfc3986(normalized)}`;
}

export type OAuthSignatureMethod = 'HMAC-SHA256' | 'HMAC-SHA1';

export function hmacSignature(base: string, method: OAuthSignatureMethod, consumerSecret: string, tokenSecret: string): string {
  const key = `${rfc3986(consumerSecret)}&${rfc3986(tokenSecret)}`;
  return createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key).update(base).digest('base64');
}

/** Parses `Authorization: OAuth k="v", ...` into decoded pairs; null when it is not an OAuth header. */
export function parseOAuthHeader(header: string): Record<string, string> | null {
  const m = /^OAuth\s+(.*)$/is.exec(header.trim());
  if (!m) return null;
  const out: Record<string, string> = {};
  for (const part of m[1]!.split(',')) {
    const kv = /^\s*([^=\s]+)\s*=\s*"?([^"]*)"?\s*$/.exec(part);
    if (!kv) continue;
    if (kv[1] === 'realm') continue;
    out[decodeURIComponent(kv[1]!)] = decodeURIComponent(kv[2]!);
  }
  return out;
}

export interface OAuthCredentials {
  consumer_key: string;
  consumer_secret: string;
  access_token: string;
  access_token_secret: string;
}

/**
 * A reference signer for the simulator's own tests (the adapter has its own): returns the Authorization header.
 * `sort` lets a test sign with plain byte order to show Magento refuses it once a key has [10] in it.
 */
export function oauthHeader(
  method: string,
  url: string,
  creds: OAuthCredentials,
  options: { timestamp?: number; nonce?: string; signatureMethod?: OAuthSignatureMethod; byteOrder?: boolean } = {},
): string {
  const u = new URL(url);
  const oauth: Record<string, string> = {
    oauth_consumer_key: creds.consumer_key,
    oauth_token: creds.access_token,
    oauth_signature_method: options.signatureMethod ?? 'HMAC-SHA256',
    oauth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_nonce: options.nonce ?? Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2),
    oauth_version: '1.0',
  };
  const params = { ...queryParams(u.search.slice(1)), ...oauth };
  let base = signatureBaseString(method, url, params);
  if (options.byteOrder) {
    const encoded = Object.entries(params).map(([k, v]) => [rfc3986(k), rfc3986(v)] as const);
    encoded.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    base = `${method.toUpperCase()}&${rfc3986(normalizeUrl(url))}&${rfc3986(encoded.map(([k, v]) => `${k}=${v}`).join('&'))}`;
  }
  oauth.oauth_signature = hmacSignature(base, oauth.oauth_signature_method as OAuthSignatureMethod, creds.consumer_secret, creds.access_token_secret);
  return 'OAuth ' + Object.entries(oauth).map(([k, v]) => `${rfc3986(k)}="${rfc3986(v)}"`).join(', ');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
