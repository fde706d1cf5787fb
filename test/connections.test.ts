// /v1/connections and /v1/channels: connecting tests the upstream first, credentials are sealed and never
// returned, updates re-test, deletion takes the connection's records with it, and private upstreams are
// refused unless the deployment allows them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { AdapterRegistry } from '../src/adapters/registry.ts';
import { createLogger } from '../src/log.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { seedDataset } from './support/fixtures.ts';
import { ok, problem } from './support/http.ts';
import { testBox } from './support/seed.ts';
import { scriptedAdapter } from './support/test-adapter.ts';

let gw: TestGateway;
/** Every response body any test in this file saw: none may contain a credential. */
const bodies: string[] = [];
const SECRETS = ['good-key', 'wrong-key-7f3a', 'secret-value'];

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  expect(bodies.length).toBeGreaterThan(50);
  for (const s of SECRETS) expect(bodies.filter((b) => b.includes(s)), `a response carried "${s}"`).toEqual([]);
  await gw?.close();
});

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await gw.call(path, init);
  const text = await res.clone().text();
  bodies.push(text);
  return res;
}
const send = (method: string, path: string, body: unknown) => call(path, { method, body: JSON.stringify(body) });
const create = (body: Record<string, unknown>) => send('POST', '/v1/connections', body);
const good = (name = 'My shop', shop = 'main') => ({ channel: 'scripted', name, settings: { base_url: 'http://127.0.0.1:9/shop', shop }, credentials: { api_key: 'good-key' } });

async function storedRow(id: string) {
  return gw.tdb.db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('POST /v1/connections', () => {
  test('tests the upstream, stores the connection and answers 201 with it and its location', async () => {
    const res = await create(good());
    expect(res.headers.get('location')).toMatch(/^\/v1\/connections\/con_[0-9A-Z]{26}$/);
    const con = await ok(res, 201);
    expect(con).toMatchObject({
      channel: 'scripted',
      name: 'My shop',
      status: 'active',
      settings: { base_url: 'http://127.0.0.1:9/shop', shop: 'main' },
      has_credentials: true,
      last_error: null,
    });
    expect(res.headers.get('location')).toBe(`/v1/connections/${con.id}`);
    expect(con.store_key).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(con)).not.toContain('credentials');
    expect(await ok(call(`/v1/connections/${con.id}`))).toEqual(con);
  });

  test('applies the adapter defaults to settings', async () => {
    const con = await ok(create({ channel: 'scripted', name: 'Defaults', settings: { base_url: 'https://shop.example' }, credentials: { api_key: 'good-key' } }), 201);
    expect(con.settings).toEqual({ base_url: 'https://shop.example', shop: 'main' });
  });

  test('credentials are sealed at rest: the column holds no plaintext and opens to what was sent', async () => {
    const con = await ok(create(good('Sealed')), 201);
    const row = await storedRow(con.id);
    expect(JSON.stringify(row)).not.toContain('good-key');
    expect(row.credentials_enc).toMatch(/^v1\./);
    expect(JSON.parse(testBox.open(row.credentials_enc!))).toEqual({ api_key: 'good-key' });
  });

  test('wrong credentials are a clear 422 and nothing is stored', async () => {
    const before = await gw.tdb.db.selectFrom('connections').select('id').execute();
    const p = await problem(create({ ...good('Wrong'), credentials: { api_key: 'wrong-key-7f3a' } }), 422, { type: 'auth_failed' });
    expect(p.detail).toMatch(/refused the credentials/);
    expect(await gw.tdb.db.selectFrom('connections').select('id').execute()).toEqual(before);
  });

  test('an unreachable upstream is a 502', async () => {
    const p = await problem(create(good('Down', 'down')), 502, { type: 'upstream_unavailable' });
    expect(p.detail).toMatch(/did not answer/);
  });

  test('an unknown channel is a 422 naming the channels there are', async () => {
    const p = await problem(create({ ...good(), channel: 'shopify' }), 422, { type: 'validation', paths: ['channel'] });
    expect(p.errors![0].message).toContain('scripted');
  });

  test('settings and credentials the adapter refuses are a 422 with their paths', async () => {
    await problem(create({ ...good(), settings: { base_url: 'not a url' } }), 422, { type: 'validation', paths: ['settings.base_url'] });
    await problem(create({ ...good(), settings: { shop: 'x' } }), 422, { paths: ['settings.base_url'] });
    await problem(create({ ...good(), settings: { base_url: 'https://shop.example', shop: '' } }), 422, { paths: ['settings.shop'] });
    await problem(create({ ...good(), credentials: {} }), 422, { paths: ['credentials.api_key'] });
    await problem(create({ ...good(), settings: { base_url: 42 }, credentials: { api_key: 7 } }), 422, { paths: ['settings.base_url', 'credentials.api_key'] });
  });

  test('a body that does not match the create schema is a 422 with field paths', async () => {
    await problem(create({ channel: 'scripted' }), 422, { type: 'validation', paths: ['name'] });
    await problem(create({ ...good(), name: 'n'.repeat(256) }), 422, { paths: ['name'] });
    await problem(create({ ...good(), status: 'active' }), 422, { paths: ['status'] });
    await problem(create({ ...good(), channel: 'Not A Channel' }), 422, { paths: ['channel'] });
  });

  test('base_url with embedded credentials is refused', async () => {
    await problem(create({ ...good(), settings: { base_url: 'https://user:pw@shop.example' } }), 422, { paths: ['settings.base_url'] });
  });
});

describe('GET /v1/connections', () => {
  test('lists the connections of the tenant with filters and sorts, never with credentials', async () => {
    const page = await ok(call('/v1/connections?limit=250'));
    expect(page.data.length).toBeGreaterThanOrEqual(3);
    for (const c of page.data) expect(Object.keys(c)).not.toContain('credentials');
    const created = page.data.map((c: any) => c.created_at);
    expect(created).toEqual([...created].sort().reverse());
    const asc = await ok(call('/v1/connections?sort=created_at&limit=250'));
    expect(asc.data.map((c: any) => c.id)).toEqual(page.data.map((c: any) => c.id).reverse());
    expect((await ok(call('/v1/connections?channel=nope'))).data).toEqual([]);
    expect((await ok(call('/v1/connections?status=paused'))).data).toEqual([]);
    expect((await ok(call('/v1/connections?fields=name&limit=1&sort=created_at'))).data).toEqual([{ id: asc.data[0].id, name: 'My shop' }]);
  });

  test('pages by cursor', async () => {
    const first = await ok(call('/v1/connections?limit=1&sort=created_at'));
    const second = await ok(call(`/v1/connections?limit=1&sort=created_at&cursor=${first.next_cursor}`));
    expect(second.data[0].id).not.toBe(first.data[0].id);
    expect(second.data[0].created_at >= first.data[0].created_at).toBe(true);
  });
});

describe('PATCH /v1/connections/{id}', () => {
  test('renames and pauses without touching the upstream', async () => {
    const con = await ok(create(good('Before')), 201);
    const renamed = await ok(send('PATCH', `/v1/connections/${con.id}`, { name: 'After', status: 'paused' }));
    expect(renamed).toMatchObject({ id: con.id, name: 'After', status: 'paused', settings: con.settings });
    expect(renamed.updated_at >= con.updated_at).toBe(true);
    expect((await ok(call('/v1/connections?status=paused'))).data.map((c: any) => c.id)).toContain(con.id);
    expect((await ok(send('PATCH', `/v1/connections/${con.id}`, { status: 'active' }))).status).toBe('active');
  });

  test('new credentials are tested: refused ones change nothing, accepted ones are sealed anew', async () => {
    const con = await ok(create(good('Rekey')), 201);
    const sealed = (await storedRow(con.id)).credentials_enc;
    await problem(send('PATCH', `/v1/connections/${con.id}`, { credentials: { api_key: 'wrong-key-7f3a' } }), 422, { type: 'auth_failed' });
    expect((await storedRow(con.id)).credentials_enc).toBe(sealed);
    const updated = await ok(send('PATCH', `/v1/connections/${con.id}`, { credentials: { api_key: 'good-key' } }));
    expect(updated.has_credentials).toBe(true);
    const row = await storedRow(con.id);
    expect(row.credentials_enc).not.toBe(sealed);
    expect(JSON.parse(testBox.open(row.credentials_enc!))).toEqual({ api_key: 'good-key' });
  });

  test('new settings are tested with the stored credentials', async () => {
    const con = await ok(create(good('Moves')), 201);
    await problem(send('PATCH', `/v1/connections/${con.id}`, { settings: { base_url: 'https://shop.example', shop: 'down' } }), 502, { type: 'upstream_unavailable' });
    await problem(send('PATCH', `/v1/connections/${con.id}`, { settings: { base_url: 'nope' } }), 422, { paths: ['settings.base_url'] });
    expect((await ok(call(`/v1/connections/${con.id}`))).settings).toEqual(con.settings);
    const moved = await ok(send('PATCH', `/v1/connections/${con.id}`, { settings: { base_url: 'https://other.example', shop: 'eu' } }));
    expect(moved.settings).toEqual({ base_url: 'https://other.example', shop: 'eu' });
  });

  test('needs_reauth is lifted by new credentials, and only by them', async () => {
    const con = await ok(create(good('Reauth')), 201);
    await gw.tdb.db.updateTable('connections').set({ status: 'needs_reauth', last_error: 'upstream said 401' }).where('id', '=', con.id).execute();
    const p = await problem(send('PATCH', `/v1/connections/${con.id}`, { status: 'active' }), 409, { type: 'conflict', paths: ['credentials'] });
    expect(p.detail).toMatch(/new credentials/);
    await problem(send('PATCH', `/v1/connections/${con.id}`, { credentials: { api_key: 'wrong-key-7f3a' } }), 422);
    expect(await ok(call(`/v1/connections/${con.id}`))).toMatchObject({ status: 'needs_reauth', last_error: 'upstream said 401' });
    const fixed = await ok(send('PATCH', `/v1/connections/${con.id}`, { credentials: { api_key: 'good-key' } }));
    expect(fixed).toMatchObject({ status: 'active', last_error: null });
  });

  test('an unknown field or status is a 422, an unknown id a 404', async () => {
    const con = await ok(create(good('Strict')), 201);
    await problem(send('PATCH', `/v1/connections/${con.id}`, { channel: 'other' }), 422, { paths: ['channel'] });
    await problem(send('PATCH', `/v1/connections/${con.id}`, { status: 'needs_reauth' }), 422, { paths: ['status'] });
    await problem(send('PATCH', '/v1/connections/con_01JD3X8Y6Z7QK2M4N5P6R7S8T9', { name: 'x' }), 404, { type: 'not_found' });
  });
});

describe('DELETE /v1/connections/{id}', () => {
  test("deletes the connection and every record synced through it, and nothing of the tenant's other connections", async () => {
    const ds = await seedDataset(gw.tdb.db, gw.a.id, { prefix: 'del ' });
    const count = async (table: 'orders' | 'order_lines' | 'shipments' | 'products' | 'product_variants' | 'customers' | 'categories' | 'inventory_levels', connectionId: string) =>
      (await gw.tdb.db.selectFrom(table).select(({ fn }) => fn.countAll<number>().as('n')).where('connection_id', '=', connectionId).executeTakeFirstOrThrow()).n;
    const tables = ['orders', 'order_lines', 'shipments', 'products', 'product_variants', 'customers', 'categories', 'inventory_levels'] as const;
    const otherBefore = await Promise.all(tables.map((t) => count(t, ds.con2.id)));
    for (const t of tables) expect(await count(t, ds.con1.id), t).toBeGreaterThan(0);
    const orderId = (await ok(call(`/v1/orders?connection_id=${ds.con1.id}&limit=1`))).data[0].id;

    const res = await call(`/v1/connections/${ds.con1.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');

    for (const t of tables) expect(await count(t, ds.con1.id), t).toBe(0);
    expect(await Promise.all(tables.map((t) => count(t, ds.con2.id)))).toEqual(otherBefore);
    await problem(call(`/v1/connections/${ds.con1.id}`), 404, { type: 'not_found' });
    await problem(call(`/v1/orders/${orderId}`), 404);
    expect((await ok(call(`/v1/orders?connection_id=${ds.con1.id}`))).data).toEqual([]);
    await problem(call(`/v1/connections/${ds.con1.id}`, { method: 'DELETE' }), 404);
  });
});

describe('GET /v1/channels', () => {
  test('lists the channels with adapters and their capabilities', async () => {
    expect(await ok(call('/v1/channels'))).toEqual({
      data: [{ channel: 'scripted', display_name: 'Scripted test channel', capabilities: ['orders.read', 'products.read', 'inventory.read'] }],
    });
  });
});

describe('private upstreams (SSRF)', () => {
  let strict: ReturnType<typeof createApp>;
  const post = async (body: unknown) => {
    const res = await strict.request('/v1/connections', { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${gw.b.key}`, 'content-type': 'application/json' } });
    bodies.push(await res.clone().text());
    return res;
  };
  const withUrl = (base_url: string) => ({ channel: 'scripted', name: 'SSRF', settings: { base_url }, credentials: { api_key: 'good-key' } });

  beforeAll(() => {
    strict = createApp({ db: gw.tdb.db, box: testBox, registry: new AdapterRegistry([scriptedAdapter]), log: createLogger('silent'), allowPrivateUpstreams: false, engine: gw.engine });
  });

  test.each([
    ['plain http to loopback', 'http://127.0.0.1/', /https/],
    ['loopback', 'https://127.0.0.1/', /private or loopback/],
    ['a 10.x address', 'https://10.1.2.3/', /private or loopback/],
    ['a 192.168.x address', 'https://192.168.0.10:8443/', /private or loopback/],
    ['link-local metadata', 'https://169.254.169.254/latest/meta-data', /private or loopback/],
    ['IPv6 loopback', 'https://[::1]/', /private or loopback/],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/', /private or loopback/],
    ['IPv4-mapped IPv6 private', 'https://[::ffff:10.0.0.1]/', /private or loopback/],
    ['a decimal-encoded loopback', 'https://2130706433/', /private or loopback/],
    ['a name resolving to loopback', 'https://localhost/', /private or loopback/],
  ])('refuses %s with a 422 on settings.base_url', async (_what, url, message) => {
    const p = await problem(post(withUrl(url)), 422, { type: 'validation', paths: ['settings.base_url'] });
    expect(p.errors![0].message).toMatch(message);
  });

  test('stores none of the refused connections, and accepts a public address', async () => {
    expect((await ok(call('/v1/connections', { headers: { authorization: `Bearer ${gw.b.key}` } }))).data).toEqual([]);
    const con = await ok(post(withUrl('https://93.184.215.14/')), 201);
    expect(con.settings.base_url).toBe('https://93.184.215.14/');
  });
});
