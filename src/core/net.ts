// Upstream address checks against SSRF: a connection may only point at public addresses unless the
// deployment allows private ones (tests, the demo).
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { AppError } from './errors.ts';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

const V4_BLOCKS: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

/** True for loopback, private, link-local, carrier-grade NAT, multicast and reserved addresses. */
export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const n = ipv4ToInt(ip);
    return V4_BLOCKS.some(([base, bits]) => (n >>> (32 - bits)) === (ipv4ToInt(base) >>> (32 - bits)));
  }
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return isPrivateAddress(mapped[1]!);
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || lower.startsWith('ff');
}

/**
 * Checks that `value` is an http(s) URL whose host resolves only to public addresses.
 * @example await assertUpstreamUrl('https://shop.example.com', false, 'settings.base_url')
 */
export async function assertUpstreamUrl(value: string, allowPrivate: boolean, path: string): Promise<URL> {
  const bad = (message: string) => new AppError('validation', `${path} is not an allowed upstream address`, { errors: [{ path, message }] });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('not a valid URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw bad('must use https');
  if (url.username || url.password) throw bad('must not carry credentials; use the credentials object');
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw bad(`host ${host} does not resolve`);
    }
  }
  if (addresses.some(isPrivateAddress)) throw bad('resolves to a private or loopback address (set SWITCHYARD_ALLOW_PRIVATE_UPSTREAMS=1 to allow)');
  return url;
}
