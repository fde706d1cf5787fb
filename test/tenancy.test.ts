// Tenancy: every route answers a tenant with its own records only (another tenant's ids are 404, lists
// never mix tenants), API keys are stored only as hashes, and the tenancy store functions hold up,
// including the bootstrap key under concurrent starts.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { KeyCache } from '../src/api/auth.ts';
import { AdapterRegistry } from '../src/adapters/registry.ts';
import { isAppError } from '../src/core/errors.ts';
import { createLogger } from '../src/log.ts';
import { createApiKey, createTenant, ensureBootstrapKey, findTenantByName, revokeApiKey, tenantForKey } from '../src/store/tenancy.ts';
import { startGateway, type TenantHandle, type TestGateway } from './support/app.ts';
import { seedDataset, type Dataset } from './support/fixtures.ts';
import { ok, problem } from './support/http.ts';
import { shipmentInput, testBox } from './support/seed.ts';
import { upsertShipments } from '../src/store/orders.ts';
import { scriptedAdapter } from './support/test-adapter.ts';

let gw: TestGateway;
let dsA: Dataset;
let dsB: Dataset;
/** One id of each kind owned by tenant a. */
const aIds: Record<'product' | 'order' | 'shipment' | 'customer' | 'category' | 'connection', string> = {} as never;

beforeAll(async () => {
  gw = await startGateway();
  dsA = await seedDataset(gw.tdb.db, gw.a.id, { prefix: 'A ' });
  dsB = await seedDataset(gw.tdb.db, gw.b.id, { prefix: 'B ' });
  // A second shipment each, so every list has a second page to hand out a cursor for.
  await upsertShipments(gw.tdb.db, dsA.ref1, [shipmentInput(2)]);
  await upsertShipments(gw.tdb.db, dsB.ref1, [shipmentInput(2)]);
  const first = async (table: 'products' | 'orders' | 'shipments' | 'customers' | 'categories') =>
    (await gw.tdb.db.selectFrom(table).select('id').where('tenant_id', '=', gw.a.id).orderBy('id').executeTakeFirstOrThrow()).id;
  aIds.product = await first('products');
  aIds.order = await first('orders');
  aIds.shipment = await first('shipments');
  aIds.customer = await first('customers');
  aIds.category = (await gw.tdb.db.selectFrom('categories').select('id').where('tenant_id', '=', gw.a.id).where('external_id', '=', 'CAT-1').executeTakeFirstOrThrow()).id;
  aIds.connection = dsA.con1.id;
});
afterAll(async () => gw?.close());

const as = (who: TenantHandle, path: string, init: RequestInit = {}) => gw.call(path, { ...init, as: who });

describe("another tenant's records", () => {
  const detailRoutes = [
    ['/v1/products/', 'product'],
    ['/v1/orders/', 'order'],
    ['/v1/shipments/', 'shipment'],
    ['/v1/customers/', 'customer'],
    ['/v1/categories/', 'category'],
    ['/v1/connections/', 'connection'],
  ] as const;

  test.each(detailRoutes)('GET %s{id} of tenant a, asked by tenant b, is a 404 that tells nothing', async (prefix, kind) => {
    const id = aIds[kind];
    await ok(as(gw.a, `${prefix}${id}`)); // it exists
    const res = await as(gw.b, `${prefix}${id}`);
    const p = await problem(res.clone(), 404, { type: 'not_found' });
    expect(p.detail).toBe(`${kind[0]!.toUpperCase()}${kind.slice(1)} ${id} was not found`);
    const text = await res.text();
    expect(text).not.toMatch(/A Shop|EXT-|customer1@|Category 1|raw-/);
    if (kind !== 'connection' && kind !== 'category') await problem(as(gw.b, `${prefix}${id}?include=raw`), 404);
  });

  test("PATCH and DELETE of tenant a's connection by tenant b are 404 and change nothing", async () => {
    const before = await ok(as(gw.a, `/v1/connections/${dsA.con1.id}`));
    await problem(as(gw.b, `/v1/connections/${dsA.con1.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'hijacked', status: 'paused' }) }), 404, { type: 'not_found' });
    await problem(as(gw.b, `/v1/connections/${dsA.con1.id}`, { method: 'PATCH', body: JSON.stringify({ credentials: { api_key: 'good-key' } }) }), 404);
    await problem(as(gw.b, `/v1/connections/${dsA.con1.id}`, { method: 'DELETE' }), 404, { type: 'not_found' });
    expect(await ok(as(gw.a, `/v1/connections/${dsA.con1.id}`))).toEqual(before);
    const orders = await gw.tdb.db.selectFrom('orders').select('id').where('connection_id', '=', dsA.con1.id).execute();
    expect(orders.length).toBe(10);
  });

  const lists = ['/v1/products', '/v1/orders', '/v1/shipments', '/v1/customers', '/v1/categories', '/v1/inventory', '/v1/connections'] as const;
  const tables = {
    '/v1/products': 'products',
    '/v1/orders': 'orders',
    '/v1/shipments': 'shipments',
    '/v1/customers': 'customers',
    '/v1/categories': 'categories',
    '/v1/inventory': 'inventory_levels',
    '/v1/connections': 'connections',
  } as const;

  test.each(lists)('GET %s lists exactly the asking tenant’s rows', async (path) => {
    for (const who of [gw.a, gw.b]) {
      const page = await ok(as(who, `${path}?limit=250`));
      const own = await gw.tdb.db.selectFrom(tables[path]).select('id').where('tenant_id', '=', who.id).execute();
      expect(own.length).toBeGreaterThan(0);
      expect(page.data.map((r: { id: string }) => r.id).sort()).toEqual(own.map((r) => r.id).sort());
    }
  });

  test.each(lists)("GET %s with tenant a's cursor still lists only tenant b's rows", async (path) => {
    const pageA = await ok(as(gw.a, `${path}?limit=1`));
    expect(pageA.next_cursor).toEqual(expect.any(String));
    const pageB = await ok(as(gw.b, `${path}?limit=250&cursor=${pageA.next_cursor}`));
    const own = new Set((await gw.tdb.db.selectFrom(tables[path]).select('id').where('tenant_id', '=', gw.b.id).execute()).map((r) => r.id));
    for (const r of pageB.data) expect(own.has(r.id)).toBe(true);
  });

  test("filters naming tenant a's ids find nothing for tenant b", async () => {
    const empty = async (path: string) => expect((await ok(as(gw.b, path))).data).toEqual([]);
    for (const path of ['/v1/products', '/v1/orders', '/v1/shipments', '/v1/customers', '/v1/categories', '/v1/inventory']) await empty(`${path}?connection_id=${dsA.con1.id}`);
    await empty(`/v1/orders?customer_id=${aIds.customer}`);
    await empty(`/v1/shipments?order_id=${aIds.order}`);
    await empty(`/v1/categories?parent_id=${aIds.category}`);
    // Both tenants hold SKU-2 and customer1@example.com; each sees its own only.
    const skuB = await ok(as(gw.b, '/v1/orders?sku=SKU-2'));
    expect(skuB.data.length).toBeGreaterThan(0);
    expect(skuB.data.every((o: { connection_id: string }) => [dsB.con1.id, dsB.con2.id].includes(o.connection_id))).toBe(true);
    const byEmail = await ok(as(gw.b, '/v1/customers?email=customer1@example.com'));
    expect(byEmail.data.map((c: { connection_id: string }) => c.connection_id)).toEqual([dsB.con1.id]);
  });

  test('a connection created by tenant b is invisible to tenant a', async () => {
    const con = await ok(as(gw.b, '/v1/connections', { method: 'POST', body: JSON.stringify({ channel: 'scripted', name: 'B only', settings: { base_url: 'https://b.example' }, credentials: { api_key: 'good-key' } }) }), 201);
    await problem(as(gw.a, `/v1/connections/${con.id}`), 404);
    expect((await ok(as(gw.a, '/v1/connections?limit=250'))).data.map((c: { id: string }) => c.id)).not.toContain(con.id);
  });
});

describe('API keys at the door', () => {
  test('a key works as Bearer (any case) and as X-API-Key, and names its own tenant', async () => {
    const viaBearer = await ok(gw.call('/v1/connections', { headers: { authorization: `bearer ${gw.b.key}` }, as: null }));
    const viaHeader = await ok(gw.call('/v1/connections', { headers: { 'x-api-key': gw.b.key }, as: null }));
    expect(viaHeader).toEqual(viaBearer);
    expect(viaBearer.data.every((c: { name: string }) => c.name.startsWith('B '))).toBe(true);
  });

  test.each([
    ['no key', {}],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['another scheme', { authorization: 'Basic dXNlcjpwdw==' }],
    ['an unknown bearer key', { authorization: 'Bearer sy_not-a-real-key' }],
    ['an unknown X-API-Key', { 'x-api-key': 'sy_not-a-real-key' }],
    ['a key over 512 characters', { 'x-api-key': 'k'.repeat(513) }],
  ])('%s is a 401 problem with a WWW-Authenticate challenge', async (_what, headers) => {
    const res = await gw.call('/v1/orders', { headers, as: null });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="switchyard"/);
    await problem(res, 401, { type: 'unauthorized' });
  });

  test('a revoked key is refused through both headers', async () => {
    const { key, info } = await createApiKey(gw.tdb.db, gw.a.id, 'to-revoke');
    await revokeApiKey(gw.tdb.db, info.id);
    await problem(gw.call('/v1/orders', { headers: { authorization: `Bearer ${key}` }, as: null }), 401, { detail: /revoked/ });
    await problem(gw.call('/v1/orders', { headers: { 'x-api-key': key }, as: null }), 401, { detail: /revoked/ });
  });

  test('a key revoked while cached stops working once its cache entry expires, and at once in a new process', async () => {
    const { key, info } = await createApiKey(gw.tdb.db, gw.a.id, 'cached');
    const deps = { db: gw.tdb.db, box: testBox, registry: new AdapterRegistry([scriptedAdapter]), log: createLogger('silent'), allowPrivateUpstreams: true, engine: gw.engine };
    const app = createApp(deps, { keyCache: new KeyCache(50) });
    const get = (a: typeof app) => a.request('/v1/channels', { headers: { authorization: `Bearer ${key}` } });
    expect((await get(app)).status).toBe(200);
    await revokeApiKey(gw.tdb.db, info.id);
    expect((await get(createApp(deps))).status).toBe(401);
    await new Promise((r) => setTimeout(r, 80));
    expect((await get(app)).status).toBe(401);
  });

  test('service endpoints need no key', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) expect((await gw.call(path, { as: null })).status, path).toBe(200);
  });
});

describe('tenancy store', () => {
  test('createTenant makes a tenant and refuses a second one of the same name', async () => {
    const t = await createTenant(gw.tdb.db, 'acme');
    expect(t).toEqual({ id: expect.stringMatching(/^ten_[0-9A-Z]{26}$/), name: 'acme', created_at: expect.any(String) });
    expect(await findTenantByName(gw.tdb.db, 'acme')).toEqual(t);
    const err = await createTenant(gw.tdb.db, 'acme').catch((e: unknown) => e);
    expect(isAppError(err) && err.kind).toBe('conflict');
  });

  test('createApiKey returns the plaintext once and stores only its SHA-256', async () => {
    const t = await createTenant(gw.tdb.db, 'hashes');
    const { key, info } = await createApiKey(gw.tdb.db, t.id, 'ci');
    expect(key).toMatch(/^sy_[A-Za-z0-9_-]{32}$/);
    expect(info).toMatchObject({ tenant_id: t.id, name: 'ci', prefix: key.slice(0, 8), revoked_at: null });
    const row = await gw.tdb.db.selectFrom('api_keys').selectAll().where('id', '=', info.id).executeTakeFirstOrThrow();
    expect(row.hash).toBe(createHash('sha256').update(key).digest('hex'));
    const all = JSON.stringify(await gw.tdb.db.selectFrom('api_keys').selectAll().execute());
    for (const k of [key, gw.a.key, gw.b.key]) expect(all).not.toContain(k);
    expect(await tenantForKey(gw.tdb.db, key)).toBe(t.id);
    const chosen = await createApiKey(gw.tdb.db, t.id, 'chosen', 'sy_chosen-key-for-ci-0123456789');
    expect(chosen.key).toBe('sy_chosen-key-for-ci-0123456789');
    expect(await tenantForKey(gw.tdb.db, chosen.key)).toBe(t.id);
  });

  test('revokeApiKey ends a key once; revoking again is not_found', async () => {
    const t = await createTenant(gw.tdb.db, 'revokes');
    const { key, info } = await createApiKey(gw.tdb.db, t.id);
    const revoked = await revokeApiKey(gw.tdb.db, info.id);
    expect(revoked.revoked_at).toEqual(expect.any(String));
    expect(await tenantForKey(gw.tdb.db, key)).toBeUndefined();
    const err = await revokeApiKey(gw.tdb.db, info.id).catch((e: unknown) => e);
    expect(isAppError(err) && err.kind).toBe('not_found');
  });

  test('ensureBootstrapKey is idempotent, also when several processes start at once', async () => {
    const key = 'sy_bootstrap-key-for-tests-0123456789';
    const ids = await Promise.all(Array.from({ length: 8 }, () => ensureBootstrapKey(gw.tdb.db, key)));
    expect(new Set(ids).size).toBe(1);
    expect(await ensureBootstrapKey(gw.tdb.db, key)).toBe(ids[0]);
    const tenants = await gw.tdb.db.selectFrom('tenants').select('id').where('name', '=', 'default').execute();
    expect(tenants).toEqual([{ id: ids[0] }]);
    const keys = await gw.tdb.db.selectFrom('api_keys').select(['tenant_id', 'hash']).where('hash', '=', createHash('sha256').update(key).digest('hex')).execute();
    expect(keys).toEqual([{ tenant_id: ids[0], hash: expect.any(String) }]);
    expect(JSON.stringify(await gw.tdb.db.selectFrom('api_keys').selectAll().execute())).not.toContain(key);
    // The key works, and sees the default tenant's (empty) data, not tenant a's.
    expect(await ok(gw.call('/v1/orders', { headers: { authorization: `Bearer ${key}` }, as: null }))).toEqual({ data: [], next_cursor: null });
  });

  test("ensureBootstrapKey refuses a key that is another tenant's", async () => {
    await expect(ensureBootstrapKey(gw.tdb.db, gw.a.key)).rejects.toThrow(/another tenant/);
  });
});
