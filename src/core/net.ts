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
  const groups = ipv6Groups(ip);
  if (!groups) return true; // not an address we can read: treat as unsafe
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const embeddedV4 = `${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  // ::ffff:a.b.c.d (IPv4-mapped; URL parsing writes it in hex, ::ffff:7f00:1) and ::a.b.c.d (IPv4-compatible,
  // which also covers :: and ::1) reach the embedded IPv4 address; so does NAT64's 64:ff9b::/96.
  if (upperZero && (g5 === 0xffff || g5 === 0)) return g5 === 0 && g6 === 0 ? true : isPrivateAddress(embeddedV4);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return isPrivateAddress(embeddedV4);
  // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast.
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0 || (g0 & 0xff00) === 0xff00;
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail expanded), or null. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    if (!net.isIPv4(v4[1]!)) return null;
    const n = ipv4ToInt(v4[1]!);
    text = `${text.slice(0, -v4[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const parts = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (parts.some((p) => !/^[0-9a-f]{1,4}$/.test(p))) return null;
  return parts.map((p) => Number.parseInt(p, 16));
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
