// Bad input gets a clear 4xx problem+json (type, title, status, detail, and errors[{path,message}] for
// validation), never a 500: malformed bodies, wrong content types, unknown or out-of-range parameters,
// oversized bodies, wrong methods, unknown paths and malformed ids.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGateway, type TestGateway } from './support/app.ts';
import { seedDataset, type Dataset } from './support/fixtures.ts';
import { ok, problem } from './support/http.ts';

let gw: TestGateway;
let ds: Dataset;
let orderId: string;
beforeAll(async () => {
  gw = await startGateway();
  ds = await seedDataset(gw.tdb.db, gw.a.id);
  orderId = (await gw.tdb.db.selectFrom('orders').select('id').executeTakeFirstOrThrow()).id;
});
afterAll(async () => gw?.close());

const LISTS = ['/v1/products', '/v1/orders', '/v1/shipments', '/v1/customers', '/v1/categories', '/v1/inventory', '/v1/connections'];
const validConnection = { channel: 'scripted', name: 'Shop', settings: { base_url: 'https://shop.example' }, credentials: { api_key: 'good-key' } };
const raw = (method: string, path: string, body: string | Uint8Array<ArrayBuffer> | null, headers: Record<string, string> = {}) => gw.call(path, { method, body, headers });

describe('request bodies', () => {
  test.each([
    ['truncated JSON', '{"name":'],
    ['a trailing comma', '{"name":"x",}'],
    ['single quotes', "{'name':'x'}"],
    ['an empty body', ''],
  ])('%s is a 400 malformed-request', async (_what, body) => {
    const p = await problem(raw('POST', '/v1/connections', body, { 'content-type': 'application/json' }), 400, { type: 'malformed-request' });
    expect(p.detail).toMatch(/JSON/);
    await problem(raw('PATCH', `/v1/connections/${ds.con1.id}`, body, { 'content-type': 'application/json' }), 400, { type: 'malformed-request' });
  });

  test.each([['[]'], ['null'], ['"connection"'], ['42']])('JSON that is not an object (%s) is a 422 at the root', async (body) => {
    await problem(raw('POST', '/v1/connections', body, { 'content-type': 'application/json' }), 422, { type: 'validation', paths: ['(root)'] });
  });

  test.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['XML', 'application/xml'],
  ])('a body sent as %s is a 415', async (_what, type) => {
    const p = await problem(raw('POST', '/v1/connections', JSON.stringify(validConnection), { 'content-type': type }), 415, { type: 'unsupported-media-type' });
    expect(p.detail).toContain(type.split(';')[0]);
    await problem(raw('PATCH', `/v1/connections/${ds.con1.id}`, JSON.stringify({ name: 'x' }), { 'content-type': type }), 415);
  });

  test('a body without any content type is a 415', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(validConnection));
    const p = await problem(raw('POST', '/v1/connections', bytes), 415, { type: 'unsupported-media-type' });
    expect(p.detail).toMatch(/no content type/);
  });

  test('JSON with a charset and +json media types are accepted', async () => {
    await ok(raw('POST', '/v1/connections', JSON.stringify(validConnection), { 'content-type': 'application/json; charset=utf-8' }), 201);
    const patched = await ok(raw('PATCH', `/v1/connections/${ds.con1.id}`, JSON.stringify({ name: 'Merged' }), { 'content-type': 'application/merge-patch+json' }));
    expect(patched.name).toBe('Merged');
  });

  test('a POST without a body is validated as an empty object', async () => {
    await problem(gw.call('/v1/connections', { method: 'POST' }), 422, { paths: ['channel', 'name'] });
  });

  test('over-long strings in a body are a 422 naming the field', async () => {
    await problem(raw('POST', '/v1/connections', JSON.stringify({ ...validConnection, name: 'n'.repeat(256) })), 422, { paths: ['name'] });
    await problem(raw('POST', '/v1/connections', JSON.stringify({ ...validConnection, settings: { ['k'.repeat(65)]: 1 } })), 422, { paths: [`settings.${'k'.repeat(65)}`] });
    await problem(raw('POST', '/v1/connections', JSON.stringify({ ...validConnection, credentials: { api_key: 'k'.repeat(257) } })), 422, { paths: ['credentials.api_key'] });
  });

  test('a body over 1 MiB is a 413, whether or not it declares its length', async () => {
    const big = JSON.stringify({ ...validConnection, name: 'x', settings: { base_url: 'https://shop.example', pad: 'p'.repeat(1024 * 1024) } });
    await problem(raw('POST', '/v1/connections', big), 413, { type: 'body-too-large' });
    await problem(raw('POST', '/v1/connections', big, { 'content-length': String(Buffer.byteLength(big)) }), 413, { type: 'body-too-large' });
    await problem(raw('PATCH', `/v1/connections/${ds.con1.id}`, big), 413);
    // Just under the limit is read (and then refused by validation, not by size).
    const under = JSON.stringify({ ...validConnection, settings: { base_url: 'https://shop.example', pad: 'p'.repeat(1024 * 1024 - 200) } });
    await problem(raw('POST', '/v1/connections', under), 422, { paths: ['settings'] });
  });
});

describe('query parameters', () => {
  test.each(LISTS)('an unknown parameter on %s is a 400 naming it', async (path) => {
    const p = await problem(gw.call(`${path}?bogus=1&limit=5`), 400, { type: 'validation', paths: ['bogus'] });
    expect(p.errors![0].message).toMatch(/unknown parameter/);
  });

  test('an unknown parameter on a detail or write route is a 400 too', async () => {
    await problem(gw.call(`/v1/orders/${orderId}?expand=all`), 400, { paths: ['expand'] });
    await problem(gw.call(`/v1/connections/${ds.con1.id}?expand=credentials`), 400, { paths: ['expand'] });
    await problem(gw.call('/v1/channels?all=1'), 400, { paths: ['all'] });
    await problem(gw.call('/v1/connections?dry_run=1', { method: 'POST', body: JSON.stringify(validConnection) }), 400, { paths: ['dry_run'] });
    await problem(gw.call(`/v1/connections/${ds.con1.id}?force=1`, { method: 'DELETE' }), 400, { paths: ['force'] });
    expect((await ok(gw.call(`/v1/connections/${ds.con1.id}`))).id).toBe(ds.con1.id);
  });

  test.each([['0'], ['251'], ['-1'], ['abc'], ['1.5'], [''], ['1e3']])('limit=%s is a 400 naming limit', async (limit) => {
    for (const path of ['/v1/orders', '/v1/inventory', '/v1/connections']) {
      await problem(gw.call(`${path}?limit=${limit}`), 400, { type: 'validation', paths: ['limit'] });
    }
  });

  test('limit 1 and 250 are the bounds', async () => {
    expect((await ok(gw.call('/v1/orders?limit=1'))).data).toHaveLength(1);
    expect((await ok(gw.call('/v1/orders?limit=250'))).data).toHaveLength(13);
  });

  test('a repeated parameter is a 400', async () => {
    await problem(gw.call('/v1/orders?limit=1&limit=2'), 400, { paths: ['limit'] });
    await problem(gw.call('/v1/orders?status=shipped&status=pending'), 400, { paths: ['status'] });
  });

  test.each([
    ['sku', 's'.repeat(256)],
    ['connection_id', 'c'.repeat(65)],
    ['channel', 'c'.repeat(33)],
    ['customer_id', 'c'.repeat(65)],
    ['fields', `status,${'f'.repeat(1020)}`],
    ['cursor', 'c'.repeat(513)],
  ])('an over-long %s is a 400 naming it', async (name, value) => {
    await problem(gw.call(`/v1/orders?${name}=${value}`), 400, { paths: [name] });
  });

  test.each([
    ['status', 'complete'],
    ['sort', 'price'],
    ['sort', 'id'],
    ['fulfillment_channel', 'fba'],
    ['created_from', 'yesterday'],
    ['created_to', '2026-13-01'],
    ['updated_from', '2026-02-30'],
    ['updated_to', '2026-01-01T10:00:00'],
  ])('%s=%s is a 400 naming it', async (name, value) => {
    await problem(gw.call(`/v1/orders?${name}=${value}`), 400, { paths: [name] });
  });

  test('extreme but valid dates are answered, not failed', async () => {
    expect((await ok(gw.call('/v1/orders?created_from=0000-01-01&limit=1'))).data).toHaveLength(1);
    expect((await ok(gw.call('/v1/orders?updated_to=9999-12-31T23:59:59.999Z&limit=1'))).data).toHaveLength(1);
    expect((await ok(gw.call('/v1/orders?created_to=0001-01-01'))).data).toEqual([]);
  });

  test('bad parameters on other lists are 400s naming them', async () => {
    await problem(gw.call('/v1/products?status=enabled'), 400, { paths: ['status'] });
    await problem(gw.call('/v1/inventory?fulfillment_channel=fba'), 400, { paths: ['fulfillment_channel'] });
    await problem(gw.call('/v1/inventory?updated_from=soon'), 400, { paths: ['updated_from'] });
    await problem(gw.call('/v1/orders?fields=raw'), 400, { paths: ['fields'] });
    await problem(gw.call('/v1/products?fields=raw,title'), 400, { paths: ['fields'] });
    await problem(gw.call('/v1/orders?fields=shipments'), 400, { paths: ['fields'] });
    await problem(gw.call('/v1/connections?status=broken'), 400, { paths: ['status'] });
    await problem(gw.call('/v1/customers?email=' + 'e'.repeat(321)), 400, { paths: ['email'] });
    await problem(gw.call('/v1/shipments?include=raw'), 400, { paths: ['include'] });
    await problem(gw.call(`/v1/categories/${ds.con1.id.replace('con_', 'cat_')}?include=raw`), 400, { paths: ['include'] });
  });

  test('several problems are reported together', async () => {
    await problem(gw.call('/v1/orders?limit=0&status=x&bogus=1'), 400, { paths: ['limit', 'status', 'bogus'] });
  });
});

describe('methods, paths and ids', () => {
  test.each([
    ['PUT', '/v1/orders', 'GET, HEAD'],
    ['POST', '/v1/orders', 'GET, HEAD'],
    ['DELETE', '/v1/orders/ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9', 'GET, HEAD'],
    ['POST', '/v1/channels', 'GET, HEAD'],
    ['PUT', '/v1/connections/con_01JD3X8Y6Z7QK2M4N5P6R7S8T9', 'GET, HEAD, PATCH, DELETE'],
    ['DELETE', '/v1/connections', 'GET, HEAD, POST'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('%s %s is a 405 with Allow: %s', async (method, path, allow) => {
    const res = await gw.call(path, { method });
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(allow.split(', ').sort());
    const p = await problem(res, 405, { type: 'method-not-allowed' });
    expect(p.detail).toContain(method);
  });

  test.each(['/v1/nope', '/v1/orders/ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9/lines', '/v2/orders', '/', '/v1'])('%s is a 404 problem', async (path) => {
    await problem(gw.call(path), 404, { type: 'not-found' });
  });

  test.each([
    ['not an id', '/v1/orders/nope'],
    ['a short id', '/v1/orders/ord_123'],
    ['a product id on orders', '/v1/orders/prd_01JD3X8Y6Z7QK2M4N5P6R7S8T9'],
    ['lower case', '/v1/orders/ord_01jd3x8y6z7qk2m4n5p6r7s8t9'],
    ['a letter outside the alphabet', '/v1/orders/ord_01JD3X8Y6Z7QK2M4N5P6R7S8TU'],
    ['a NUL byte', '/v1/orders/ord_%00'],
    ['a quote', "/v1/orders/ord_'%20OR%201=1"],
    ['broken percent-encoding', '/v1/orders/%E0%A4%A'],
    ['unicode', '/v1/customers/cus_%F0%9F%98%80'],
    ['an order id on products', '/v1/products/ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9'],
    ['a connection id with a suffix', '/v1/connections/con_01JD3X8Y6Z7QK2M4N5P6R7S8T9x'],
  ])('a malformed id (%s) is a 404', async (_what, path) => {
    await problem(gw.call(path), 404, { type: 'not_found' });
  });

  test('an id over 64 characters is a 400 naming id', async () => {
    await problem(gw.call(`/v1/orders/ord_${'A'.repeat(61)}`), 400, { paths: ['id'] });
    await problem(gw.call(`/v1/connections/con_${'A'.repeat(61)}`, { method: 'DELETE' }), 400, { paths: ['id'] });
  });

  test('problems name the request path and echo a well-formed request id', async () => {
    const res = await gw.call('/v1/orders/nope', { headers: { 'x-request-id': 'req-123.abc' } });
    expect(res.headers.get('x-request-id')).toBe('req-123.abc');
    expect((await problem(res, 404)).instance).toBe('/v1/orders/nope');
    const odd = await gw.call('/v1/orders', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9A-Z]{26}$/);
  });
});

describe('never a 500', () => {
  const odd: [string, string, (string | null)?][] = [
    ['POST', '/v1/connections', '{"channel":"scripted","name":"x","settings":{"__proto__":{"base_url":"https://x.example"}}}'],
    ['POST', '/v1/connections', '{"channel":"scripted","name":"x","constructor":{"prototype":{"polluted":true}}}'],
    ['POST', '/v1/connections', `{"channel":"scripted","name":"x","settings":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`],
    ['POST', '/v1/connections', '{"channel":"scripted","name":"\\u0000","settings":{"base_url":"https://x.example"},"credentials":{"api_key":"good-key"}}'],
    ['POST', '/v1/connections', '{"channel":"scripted","name":"x","settings":{"base_url":"https://x.example","shop":"\\ud800"},"credentials":{"api_key":"good-key"}}'],
    ['POST', '/v1/connections', '{"channel":"scripted","name":"x","settings":[],"credentials":"good-key"}'],
    ['PATCH', '/v1/connections/con_01JD3X8Y6Z7QK2M4N5P6R7S8T9', '{"settings":null}'],
    ['GET', '/v1/orders?created_from=2026-01-01T00:00:00.123456789Z'],
    ['GET', '/v1/orders?sku=%00'],
    ['GET', '/v1/orders?channel=%F0%9F%98%80'],
    ['GET', '/v1/customers?email=%25%27%22'],
    ['GET', '/v1/orders?fields=,,,id,,'],
    ['GET', '/v1/orders?limit=99999999999999999999'],
    ['GET', '/v1/orders?cursor='],
    ['GET', '/v1/orders/ord_01JD3X8Y6Z7QK2M4N5P6R7S8T9?fields='],
    ['GET', '/v1/orders?%ZZ=1'],
    ['HEAD', '/v1/orders'],
    ['OPTIONS', '/v1/orders'],
  ];
  test.each(odd)('%s %s', async (method, path, body) => {
    const res = await gw.call(path, { method, ...(body !== undefined && { body }) });
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBeLessThan(500);
    if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  test('strings PostgreSQL cannot store (NUL, unpaired surrogates) are refused with their paths', async () => {
    const post = (body: unknown) => gw.call('/v1/connections', { method: 'POST', body: JSON.stringify(body) });
    await problem(post({ ...validConnection, name: 'a\u0000b' }), 422, { type: 'validation', paths: ['name'] });
    await problem(post({ ...validConnection, settings: { base_url: 'https://x.example', shop: '\ud800' } }), 422, { paths: ['settings.shop'] });
    await problem(post({ ...validConnection, settings: { base_url: 'https://x.example', ['k\u0000']: 1 } }), 422, { paths: ['settings.k\u0000'] });
    await problem(post({ ...validConnection, settings: { base_url: 'https://x.example', list: ['ok', 'n\u0000'] } }), 422, { paths: ['settings.list[1]'] });
    await problem(gw.call(`/v1/connections/${ds.con1.id}`, { method: 'PATCH', body: JSON.stringify({ name: '\udc00x' }) }), 422, { paths: ['name'] });
    await problem(gw.call('/v1/orders?sku=%00'), 400, { paths: ['sku'] });
    await problem(gw.call('/v1/customers?email=a%00b'), 400, { paths: ['email'] });
    // Paired surrogates (emoji) are fine.
    expect((await ok(gw.call('/v1/orders?sku=%F0%9F%98%80'))).data).toEqual([]);
    expect((await ok(post({ ...validConnection, name: 'Shop 😀' }), 201)).name).toBe('Shop 😀');
  });
});
