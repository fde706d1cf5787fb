// Upstreams that answer with redirects, on loopback stores: a read follows a redirect to an allowed
// address (at most three hops), never to an address the SSRF rule forbids, and never carries its
// credentials to another origin; a write answered with a redirect fails and is not sent again; the LWA
// token POST answered 302 is not replayed as a GET. Through the shared transport and both clients.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SpApiClient } from '../../src/adapters/amazon/client.ts';
import { AmazonSettings } from '../../src/adapters/amazon/settings.ts';
import { UpstreamTransport } from '../../src/adapters/kit/transport.ts';
import { MagentoClient } from '../../src/adapters/magento/client.ts';
import { MagentoSettings } from '../../src/adapters/magento/schemas.ts';
import { AppError } from '../../src/core/errors.ts';
import type { UpstreamCall } from '../../src/core/ports.ts';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  token: string | undefined;
}

interface Loopback {
  origin: string;
  seen: Seen[];
  close(): Promise<void>;
}

async function loopback(handle: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<Loopback> {
  const seen: Seen[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, token: req.headers['x-amz-access-token'] as string | undefined });
    req.resume();
    req.on('end', () => handle(req, res, origin));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const redirect = (res: ServerResponse, status: number, location: string) => {
  res.writeHead(status, { location });
  res.end();
};

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

let store: Loopback; // the upstream the connection points at
let elsewhere: Loopback; // another origin: an allowed target in tests, a forbidden one when private addresses are refused

beforeAll(async () => {
  elsewhere = await loopback((req, res) => json(res, 200, { from: 'elsewhere', path: req.url }));
  store = await loopback((req, res, origin) => {
    const url = req.url ?? '';
    if (url.includes('/moved')) return redirect(res, 301, '/rest/default/V1/store/storeConfigs');
    if (url.includes('/storeConfigs')) return json(res, 200, [{ code: 'default' }]);
    if (url.includes('/away')) return redirect(res, 302, `${elsewhere.origin}/target`);
    if (url.includes('/metadata')) return redirect(res, 302, 'http://169.254.169.254/latest/meta-data/');
    if (url.includes('/loop')) return redirect(res, 302, `${origin}${url}`);
    if (url.includes('/write')) return redirect(res, 307, `${elsewhere.origin}/write-target`);
    if (url.includes('/token')) return redirect(res, 302, `${elsewhere.origin}/token-target`);
    json(res, 404, { message: 'no such route' });
  });
});

afterAll(async () => {
  await store.close();
  await elsewhere.close();
});

function transport(allowPrivateUpstreams: boolean, calls: UpstreamCall[] = []) {
  return new UpstreamTransport({ channel: 'test', ctx: { allowPrivateUpstreams, onUpstreamCall: (c) => calls.push(c) }, timeoutMs: 5_000, throttleKey: (op) => `test:${op}`, requestIdHeader: 'x-request-id' });
}
const get = (path: string, headers: Record<string, string> = {}) => ({ op: 'read', rate: null, url: new URL(path, store.origin), method: 'GET', headers });

describe('the shared transport and redirects', () => {
  test('a read follows a redirect to an allowed address, each hop reported; credentials stay on their origin', async () => {
    const calls: UpstreamCall[] = [];
    const before = elsewhere.seen.length;
    const a = await transport(true, calls).send(get('/away', { authorization: 'Bearer secret', accept: 'application/json' }));
    expect(a.status).toBe(200);
    expect(JSON.parse(new TextDecoder().decode(a.bytes))).toEqual({ from: 'elsewhere', path: '/target' });
    expect(a.url.toString()).toBe(`${elsewhere.origin}/target`);
    expect(calls.map((c) => c.status)).toEqual([302, 200]);
    const hop = elsewhere.seen.slice(before);
    expect(hop).toEqual([{ method: 'GET', url: '/target', authorization: undefined, token: undefined }]);
    // The first hop did carry it: the header was dropped for the other origin only.
    expect(store.seen.at(-1)).toMatchObject({ url: '/away', authorization: 'Bearer secret' });
  });

  test('a redirect to an address the SSRF rule forbids is not followed', async () => {
    const before = elsewhere.seen.length;
    // With private addresses refused, the other loopback origin and the metadata address are both forbidden.
    const err = await failure(transport(false).send(get('/away')));
    expect([err.kind, err.retriable]).toEqual(['upstream_rejected', false]);
    expect(err.message).toMatch(/redirect\) to an address that is not allowed/);
    expect(elsewhere.seen.length).toBe(before);
    const meta = await failure(transport(false).send(get('/metadata')));
    expect(meta.kind).toBe('upstream_rejected');
    expect(meta.message).toContain('not allowed');
  });

  test('at most three redirects', async () => {
    const calls: UpstreamCall[] = [];
    const err = await failure(transport(true, calls).send(get('/loop')));
    expect(err.message).toContain('more than 3 redirects');
    expect(calls).toHaveLength(4);
  });

  test('a write answered with a redirect fails and is not sent anywhere again', async () => {
    const before = elsewhere.seen.length;
    const sent = store.seen.length;
    const err = await failure(transport(true).send({ op: 'write', rate: null, url: new URL('/write', store.origin), method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }));
    expect([err.kind, err.retriable]).toEqual(['upstream_rejected', false]);
    expect(err.message).toContain('a POST is never redirected');
    expect(store.seen.length).toBe(sent + 1);
    expect(elsewhere.seen.length).toBe(before);
  });
});

describe('the transport as a fetch function (for GraphQL clients that take a custom fetch)', () => {
  test('answers a Response; a redirected POST is refused the same way', async () => {
    const calls: UpstreamCall[] = [];
    const f = transport(true, calls).asFetch((url) => `graphql ${url.pathname}`, null);
    const res = await f(`${store.origin}/moved`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ code: 'default' }]);
    expect(calls.map((c) => c.operation)).toEqual(['graphql /moved', 'graphql /moved']);
    const before = elsewhere.seen.length;
    const err = await failure(f(`${store.origin}/write`, { method: 'POST', body: '{"query":"{ shop { name } }"}' }));
    expect(err.kind).toBe('upstream_rejected');
    expect(elsewhere.seen.length).toBe(before);
  });
});

describe('the clients over the transport', () => {
  test('Magento: a read answered 301 is followed on the same store; a write answered 307 is refused', async () => {
    const settings = MagentoSettings.parse({ base_url: store.origin });
    const client = new MagentoClient({ connectionId: 'c', tenantId: 't', settings, credentials: { type: 'bearer', token: 'tok' }, allowPrivateUpstreams: true });
    expect(await client.request({ method: 'GET', path: '/V1/moved' })).toEqual([{ code: 'default' }]);
    // Same origin: the token went with the redirect.
    expect(store.seen.at(-1)).toMatchObject({ url: '/rest/default/V1/store/storeConfigs', authorization: 'Bearer tok' });
    const before = elsewhere.seen.length;
    const err = await failure(client.request({ method: 'PUT', path: '/V1/write', body: { x: 1 } }));
    expect(err.kind).toBe('upstream_rejected');
    expect(elsewhere.seen.length).toBe(before);
  });

  test('Amazon: the LWA token POST answered 302 is not replayed as a GET, and no SP-API call goes out', async () => {
    const settings = AmazonSettings.parse({ seller_id: 'S1', marketplace_ids: ['ATVPDKIKX0DER'], endpoint: store.origin, lwa_endpoint: `${store.origin}/token` });
    const client = new SpApiClient({ connectionId: 'c', tenantId: 't', settings, credentials: { client_id: 'id', client_secret: 'secret', refresh_token: 'refresh' }, allowPrivateUpstreams: true });
    const before = elsewhere.seen.length;
    const sent = store.seen.length;
    const err = await failure(client.call({ op: 'searchOrders', method: 'GET', path: '/orders/2026-01-01/orders' }));
    expect(err.message).toContain('never redirected');
    expect(store.seen.slice(sent).map((s) => `${s.method} ${s.url}`)).toEqual(['POST /token']);
    expect(elsewhere.seen.length).toBe(before);
  });
});
