// OAuth 1.0a request signing as Magento verifies it (integration tokens, HMAC-SHA256). Magento builds the
// signature base string with Laminas OAuth: every parameter name and value is percent-encoded first
// (RFC 3986), then the encoded names are sorted with PHP's strnatcmp, so `...%5B2%5D...` sorts before
// `...%5B10%5D...`. A signer that sorts bytewise (as the RFC says) fails as soon as a request carries
// ten or more filter groups, sort orders or filters.
import { createHmac, randomBytes } from 'node:crypto';

/** RFC 3986 percent-encoding, as PHP's rawurlencode (which leaves `~` alone) does it. */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);

/** Compares two digit runs that start with a zero: char by char, as fractional parts. */
function compareLeft(a: string, ai: number, b: string, bi: number): number {
  for (;; ai++, bi++) {
    const ca = a[ai];
    const cb = b[bi];
    const da = isDigit(ca);
    const db = isDigit(cb);
    if (!da && !db) return 0;
    if (!da) return -1;
    if (!db) return 1;
    if (ca! < cb!) return -1;
    if (ca! > cb!) return 1;
  }
}

/** Compares two digit runs as integers: the longer run wins, else the first difference decides. */
function compareRight(a: string, ai: number, b: string, bi: number): number {
  let bias = 0;
  for (;; ai++, bi++) {
    const ca = a[ai];
    const cb = b[bi];
    const da = isDigit(ca);
    const db = isDigit(cb);
    if (!da && !db) return bias;
    if (!da) return -1;
    if (!db) return 1;
    if (bias === 0) {
      if (ca! < cb!) bias = -1;
      else if (ca! > cb!) bias = 1;
    }
  }
}

/**
 * PHP's strnatcmp: runs of digits compare by value, everything else byte by byte.
 * @example ['a10', 'a2'].sort(strnatcmp) // ['a2', 'a10']
 */
export function strnatcmp(a: string, b: string): number {
  let ai = 0;
  let bi = 0;
  for (;;) {
    while (isSpace(a[ai])) ai++;
    while (isSpace(b[bi])) bi++;
    const ca = a[ai];
    const cb = b[bi];
    if (isDigit(ca) && isDigit(cb)) {
      const fractional = ca === '0' || cb === '0';
      const r = fractional ? compareLeft(a, ai, b, bi) : compareRight(a, ai, b, bi);
      if (r !== 0) return r;
      // Equal runs: step over both and go on.
      while (isDigit(a[ai])) ai++;
      while (isDigit(b[bi])) bi++;
      continue;
    }
    if (ca === undefined && cb === undefined) return 0;
    if (ca === undefined) return -1;
    if (cb === undefined) return 1;
    if (ca < cb) return -1;
    if (ca > cb) return 1;
    ai++;
    bi++;
  }
}

export interface OAuth1Credentials {
  consumer_key: string;
  consumer_secret: string;
  access_token: string;
  access_token_secret: string;
}

/** The URL Magento signs against: scheme and host lower case, no default port, no query, no fragment. */
export function signatureBaseUrl(url: URL): string {
  const scheme = url.protocol.toLowerCase();
  const defaultPort = (scheme === 'https:' && url.port === '443') || (scheme === 'http:' && url.port === '80');
  const port = url.port && !defaultPort ? `:${url.port}` : '';
  return `${scheme}//${url.hostname.toLowerCase()}${port}${url.pathname}`;
}

/**
 * The signature base string: METHOD&url&params, params being the query's and the oauth_ pairs, each
 * name and value encoded, sorted by name in natural order (values of a repeated name in natural order too).
 */
export function signatureBaseString(method: string, url: URL, oauthParams: Record<string, string>): string {
  const byName = new Map<string, string[]>();
  const add = (k: string, v: string) => {
    const key = rfc3986(k);
    const list = byName.get(key) ?? [];
    list.push(rfc3986(v));
    byName.set(key, list);
  };
  for (const [k, v] of url.searchParams) add(k, v);
  for (const [k, v] of Object.entries(oauthParams)) add(k, v);
  const pairs: string[] = [];
  for (const key of [...byName.keys()].sort(strnatcmp)) {
    for (const value of byName.get(key)!.sort(strnatcmp)) pairs.push(`${key}=${value}`);
  }
  return [method.toUpperCase(), rfc3986(signatureBaseUrl(url)), rfc3986(pairs.join('&'))].join('&');
}

/**
 * The `Authorization: OAuth …` header of one request.
 * @example oauthHeader('GET', new URL('https://shop.example/rest/default/V1/orders?searchCriteria[pageSize]=1'), creds)
 */
export function oauthHeader(
  method: string,
  url: URL,
  creds: OAuth1Credentials,
  options: { nonce?: string; timestamp?: number } = {},
): string {
  const params: Record<string, string> = {
    oauth_consumer_key: creds.consumer_key,
    oauth_nonce: options.nonce ?? randomBytes(16).toString('hex'),
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_token: creds.access_token,
    oauth_version: '1.0',
  };
  const base = signatureBaseString(method, url, params);
  const key = `${rfc3986(creds.consumer_secret)}&${rfc3986(creds.access_token_secret)}`;
  const signature = createHmac('sha256', key).update(base).digest('base64');
  const all = { ...params, oauth_signature: signature };
  return `OAuth ${Object.entries(all)
    .map(([k, v]) => `${rfc3986(k)}="${rfc3986(v)}"`)
    .join(',')}`;
}
