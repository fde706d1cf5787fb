// Proves the scripted upstream behaves as its tests will rely on: keyset paging that yields every record
// once, a rate limiter that answers 429 past the burst, write effects counted once per idempotency key,
// and every fault switch doing what it says.
import { afterEach, describe, expect, test } from 'vitest';
import { SimState } from './state.ts';
import { startScriptedUpstream, type ScriptedUpstream, type ScriptedUpstreamOptions, type SimOrder } from './server.ts';

const KEY = 'test-key';
let sims: ScriptedUpstream[] = [];

async function start(options: ScriptedUpstreamOptions = {}): Promise<ScriptedUpstream> {
  const sim = await startScriptedUpstream({ rateLimit: false, ...options });
  sims.push(sim);
  return sim;
}

afterEach(async () => {
  await Promise.all(sims.map((s) => s.stop()));
  sims = [];
});

interface Page<T> {
  items: T[];
  next_page_token: string | null;
  total: number;
}

function get(sim: ScriptedUpstream, path: string, headers: Record<string, string> = { 'x-api-key': KEY }, signal?: AbortSignal): Promise<Response> {
  return fetch(sim.url + path, { headers, signal });
}

function send(sim: ScriptedUpstream, method: string, path: string, body: unknown, key: string | null, headers: Record<string, string> = { 'x-api-key': KEY }): Promise<Response> {
  return fetch(sim.url + path, {
    method,
    headers: { ...headers, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
}

async function pullAll<T>(sim: ScriptedUpstream, path: string, query: Record<string, string> = {}, between?: (page: number) => void): Promise<{ items: T[]; pages: number; totals: number[] }> {
  const items: T[] = [];
  const totals: number[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const u = new URL(sim.url + path);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    if (token) u.searchParams.set('page_token', token);
    const res = await fetch(u, { headers: { 'x-api-key': KEY } });
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page<T>;
    items.push(...page.items);
    totals.push(page.total);
    token = page.next_page_token;
    pages++;
    between?.(pages);
  } while (token);
  return { items, pages, totals };
}

describe('paging', () => {
  test('every record comes back exactly once, in (updated_at, id) order, with the window total on each page', async () => {
    const sim = await start({ data: { orders: 1234 } });
    const { items, pages, totals } = await pullAll<SimOrder>(sim, '/orders', { limit: '100' });
    expect(pages).toBe(13);
    expect(items).toHaveLength(1234);
    expect(new Set(items.map((o) => o.id)).size).toBe(1234);
    expect(totals.every((t) => t === 1234)).toBe(true);
    const keys = items.map((o) => `${o.updated_at}|${o.id}`);
    expect([...keys].sort()).toEqual(keys);
  });

  test('a window is [updated_from, updated_to): from inclusive, to exclusive', async () => {
    const sim = await start({ data: { orders: 100 } });
    // Seeded orders are one second apart from 2026-01-01T00:00:00Z: seconds 10..19 are 10 orders.
    const { items, totals } = await pullAll<SimOrder>(sim, '/orders', { updated_from: '2026-01-01T00:00:10Z', updated_to: '2026-01-01T00:00:20Z', limit: '3' });
    expect(items.map((o) => o.id)).toEqual(Array.from({ length: 10 }, (_, i) => String(100_000_011 + i)));
    expect(totals[0]).toBe(10);
  });

  test('a record changed mid-pull is read again after the cursor, and none is skipped', async () => {
    const sim = await start({ data: { orders: 50 } });
    const { items } = await pullAll<SimOrder>(sim, '/orders', { limit: '10' }, (page) => {
      if (page === 1) sim.state.touch('orders', ['100000001', '100000030']);
    });
    const ids = items.map((o) => o.id);
    expect(new Set(ids).size).toBe(50);
    expect(ids.filter((id) => id === '100000001')).toHaveLength(2);
    expect(ids.filter((id) => id === '100000030')).toHaveLength(1);
    expect(ids.slice(-2)).toEqual(['100000001', '100000030']);
  });

  test('limit is clamped to the maximum page size; a bad limit or page token is a 400', async () => {
    const sim = await start({ data: { products: 300 }, maxPageSize: 100 });
    const page = (await (await get(sim, '/products?limit=250')).json()) as Page<unknown>;
    expect(page.items).toHaveLength(100);
    expect(page.total).toBe(300);
    expect((await get(sim, '/products?limit=0')).status).toBe(400);
    expect((await get(sim, '/products?page_token=garbage')).status).toBe(400);
    const otherQuery = await get(sim, `/orders?page_token=${page.next_page_token}`);
    expect(otherQuery.status).toBe(400);
    expect(await otherQuery.json()).toMatchObject({ error: { code: 'invalid_page_token' } });
  });

  test('inventory and products page the same way', async () => {
    const sim = await start({ data: { products: 120, inventory: 120 } });
    const levels = await pullAll<{ sku: string; location: string; quantity: number }>(sim, '/inventory', { limit: '50' });
    expect(levels.pages).toBe(3);
    expect(new Set(levels.items.map((l) => l.sku)).size).toBe(120);
    const products = await pullAll<{ sku: string }>(sim, '/products', { limit: '50' });
    expect(products.items.map((p) => p.sku).slice(0, 3)).toEqual(['SKU-0', 'SKU-1', 'SKU-2']);
  });
});

describe('seeding and scripted changes', () => {
  test('10^5 orders seed in seconds, deterministically', () => {
    const a = new SimState();
    const t0 = performance.now();
    a.seed({ orders: 100_000 });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(a.orders.size).toBe(100_000);
    const b = new SimState();
    b.seed({ orders: 100_000 });
    expect(b.orders.get('100054321')).toEqual(a.orders.get('100054321'));
    const order = a.orders.get('100000007')!;
    const lines = order.items.reduce((sum, it) => sum + Math.round(Number(it.row_total) * 100), 0);
    expect(Math.round(Number(order.grand_total) * 100)).toBe(lines + 490);
    // Seeding again continues the sequence instead of repeating it.
    a.seed({ orders: 10 });
    expect(a.orders.size).toBe(100_010);
  });

  test('touch and update bump updated_at, so an incremental window finds exactly those records', async () => {
    let now = Date.parse('2026-06-01T12:00:00Z');
    const sim = await start({ data: { orders: 200, products: 20 }, clock: () => now });
    sim.state.touch('orders', ['100000005', '100000150']);
    now += 1000;
    sim.state.update('products', 'SKU-3', (p) => void (p.name = 'Renamed'));
    const since = await pullAll<SimOrder>(sim, '/orders', { updated_from: '2026-06-01T12:00:00Z' });
    expect(since.items.map((o) => o.id)).toEqual(['100000005', '100000150']);
    expect(since.items[0]!.updated_at).toBe('2026-06-01T12:00:00.000Z');
    const products = await pullAll<{ sku: string; name: string }>(sim, '/products', { updated_from: '2026-06-01T12:00:00Z' });
    expect(products.items).toEqual([expect.objectContaining({ sku: 'SKU-3', name: 'Renamed' })]);
    expect(sim.state.remove('orders', '100000005')).toBe(true);
    expect((await pullAll<SimOrder>(sim, '/orders')).items).toHaveLength(199);
  });

  test('a corrupted record is listed without its field; the others are intact', async () => {
    const sim = await start({ data: { orders: 3 } });
    sim.state.corrupt('orders', '100000002');
    const { items } = await pullAll<Record<string, unknown>>(sim, '/orders');
    expect(items[1]).not.toHaveProperty('currency');
    expect(items[0]).toHaveProperty('currency', 'EUR');
    expect(sim.state.orders.get('100000002')!.currency).toBe('EUR');
  });

  test('keys with data of their own see only theirs; the log names the key and the arrival time', async () => {
    const sim = await start({ data: { orders: 2 }, dataByKey: { 'shop-a': { orders: 3 }, 'shop-b': { orders: 5, base: '2025-01-01T00:00:00Z' } } });
    const list = async (key: string) => {
      const res = await get(sim, '/orders?limit=100', { 'x-api-key': key });
      expect(res.status).toBe(200);
      return ((await res.json()) as Page<SimOrder>).items;
    };
    expect((await list('shop-a')).map((o) => o.id)).toEqual(['100000001', '100000002', '100000003']);
    expect((await list('shop-b')).map((o) => o.updated_at.slice(0, 4))).toEqual(['2025', '2025', '2025', '2025', '2025']);
    expect(await list(KEY)).toHaveLength(2);
    // A write lands in the writer's data only.
    const cancel = await send(sim, 'POST', '/orders/100000001/cancel', {}, 'k1', { 'x-api-key': 'shop-a' });
    expect(cancel.status).toBe(200);
    expect(sim.state.dataFor('shop-a').orders.get('100000001')!.status).toBe('canceled');
    expect(sim.state.dataFor('shop-b').orders.get('100000001')!.status).toBe('pending');
    expect(sim.state.orders.get('100000001')!.status).toBe('pending');
    expect(sim.state.log.map((r) => r.apiKey)).toEqual(['shop-a', 'shop-b', KEY, 'shop-a']);
    const at = sim.state.log.map((r) => r.at!);
    expect(at).toEqual([...at].sort((a, b) => a - b));
  });
});

describe('auth', () => {
  test('a missing or unknown key is a 401; a read-only key may read but not write (403)', async () => {
    const sim = await start({ data: { products: 1 }, readOnlyKeys: ['ro-key'] });
    expect((await get(sim, '/orders', {})).status).toBe(401);
    const bad = await get(sim, '/orders', { 'x-api-key': 'nope' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await get(sim, '/orders', { 'x-api-key': 'ro-key' })).status).toBe(200);
    const write = await send(sim, 'PUT', '/inventory/SKU-0', { quantity: 1 }, 'k1', { 'x-api-key': 'ro-key' });
    expect(write.status).toBe(403);
    expect(sim.state.effectLog).toHaveLength(0);
  });

  test('a key buys a bearer token that works until it expires on the upstream clock', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const sim = await start({ requireToken: true, tokenTtlMs: 60_000, clock: () => now });
    const refused = await get(sim, '/orders');
    expect(await refused.json()).toMatchObject({ error: { code: 'token_required' } });
    const res = await fetch(`${sim.url}/auth/token`, { method: 'POST', headers: { 'x-api-key': KEY } });
    const token = (await res.json()) as { access_token: string; expires_in: number; expires_at: string };
    expect(token).toMatchObject({ expires_in: 60, expires_at: '2026-06-01T00:01:00.000Z' });
    const bearer = { authorization: `Bearer ${token.access_token}` };
    expect((await get(sim, '/orders', bearer)).status).toBe(200);
    now += 60_000;
    const expired = await get(sim, '/orders', bearer);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: { code: 'token_expired' } });
  });

  test('faults.expireTokens() expires every issued token at once', async () => {
    const sim = await start();
    const { access_token } = (await (await fetch(`${sim.url}/auth/token`, { method: 'POST', headers: { 'x-api-key': KEY } })).json()) as { access_token: string };
    expect((await get(sim, '/me', { authorization: `Bearer ${access_token}` })).status).toBe(200);
    sim.faults.expireTokens();
    expect(await (await get(sim, '/me', { authorization: `Bearer ${access_token}` })).json()).toMatchObject({ error: { code: 'token_expired' } });
  });
});

describe('rate limiting', () => {
  test('a key gets its burst, then 429 with retry-after and x-ratelimit-limit; another key is unaffected', async () => {
    const sim = await start({ apiKeys: [KEY, 'other-key'], rateLimit: { ratePerSec: 2, burst: 5 } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(sim, '/me')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await get(sim, '/me');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('2');
    expect(sim.state.throttled).toBe(2);
    expect(sim.state.throttledByRoute.get('me')).toBe(2);
    expect((await get(sim, '/me', { 'x-api-key': 'other-key' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 550));
    const after = await get(sim, '/me');
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-limit')).toBe('2');
  });

  test('a route may have its own bucket or none; headers can be switched off; the limiter can be disabled at runtime', async () => {
    const sim = await start({ rateLimit: { ratePerSec: 1, burst: 1, headers: false, routes: { 'inventory.list': { ratePerSec: 1, burst: 2 }, me: false } } });
    expect((await get(sim, '/inventory')).status).toBe(200);
    expect((await get(sim, '/inventory')).status).toBe(200);
    const third = await get(sim, '/inventory');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBeNull();
    expect((await get(sim, '/orders')).status).toBe(200);
    expect((await get(sim, '/orders')).status).toBe(429);
    for (let i = 0; i < 10; i++) expect((await get(sim, '/me')).status).toBe(200);
    sim.config.rateLimit.enabled = false;
    expect((await get(sim, '/orders')).status).toBe(200);
  });
});

describe('idempotent writes', () => {
  test('the same write sent twice with one key takes effect once and answers the first result again', async () => {
    const sim = await start({ data: { products: 5, inventory: 5 } });
    const first = await send(sim, 'PUT', '/inventory/SKU-1', { quantity: 42 }, 'set-stock:1');
    const again = await send(sim, 'PUT', '/inventory/SKU-1', { quantity: 42 }, 'set-stock:1');
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(sim.state.effects.get('set-stock:1')).toBe(1);
    expect(sim.state.attempts.get('set-stock:1')).toBe(2);
    expect(sim.state.effectLog).toEqual([expect.objectContaining({ idempotencyKey: 'set-stock:1', route: 'inventory.set', target: 'inventory/SKU-1@default' })]);
    expect(sim.state.inventory.get('SKU-1@default')!.quantity).toBe(42);
    expect(sim.state.duplicateEffects()).toEqual([]);
  });

  test('a key reused with another body is a 409; a missing key is a 400; a new key is a new effect', async () => {
    const sim = await start({ data: { products: 5, inventory: 5 } });
    await send(sim, 'PUT', '/inventory/SKU-1', { quantity: 1 }, 'k');
    const reused = await send(sim, 'PUT', '/inventory/SKU-1', { quantity: 2 }, 'k');
    expect(reused.status).toBe(409);
    expect((await send(sim, 'PUT', '/inventory/SKU-1', { quantity: 3 }, null)).status).toBe(400);
    await send(sim, 'PUT', '/inventory/SKU-1', { quantity: 4 }, 'k2');
    expect([...sim.state.effects]).toEqual([
      ['k', 1],
      ['k2', 1],
    ]);
    expect(sim.state.inventory.get('SKU-1@default')!.quantity).toBe(4);
  });

  test('with idempotency switched off, a repeated key applies again and the duplicate is visible', async () => {
    const sim = await start({ data: { orders: 10 }, honorIdempotencyKeys: false });
    const body = { lines: [{ sku: 'SKU-1', qty: 1 }], carrier: 'DHL', tracking_number: 'T1' };
    expect((await send(sim, 'POST', '/orders/100000002/shipments', body, 'ship:1')).status).toBe(201);
    const order = sim.state.orders.get('100000002')!;
    expect(order.items.map((i) => i.sku)).toContain('SKU-1');
    // Order #2 (index 1) has two lines; SKU-1 is its first, with one unit: a second shipment over-ships.
    expect((await send(sim, 'POST', '/orders/100000002/shipments', body, 'ship:1')).status).toBe(422);
    await send(sim, 'POST', '/orders', { number: 'X-1', currency: 'EUR', customer: {}, items: [{ sku: 'A', qty_ordered: 1, price: '1.00' }] }, 'create:1');
    await send(sim, 'POST', '/orders', { number: 'X-1', currency: 'EUR', customer: {}, items: [{ sku: 'A', qty_ordered: 1, price: '1.00' }] }, 'create:1');
    expect(sim.state.effects.get('create:1')).toBe(2);
    expect(sim.state.duplicateEffects()).toEqual(['create:1']);
  });

  test('a shipment ships lines, moves the order status and bumps its updated_at', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const sim = await start({ data: { orders: 10 }, clock: () => now });
    const order = structuredClone(sim.state.orders.get('100000003')!); // processing, three lines
    expect(order.status).toBe('processing');
    const first = order.items[0]!;
    const res = await send(sim, 'POST', `/orders/${order.id}/shipments`, { lines: [{ item_id: first.id, sku: first.sku, qty: first.qty_ordered }], carrier: 'UPS', tracking_number: '1Z' }, 'ship:a');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: 'SH-1', order_id: order.id, carrier: 'UPS', items: [{ item_id: first.id, qty: first.qty_ordered }] });
    let after = sim.state.orders.get(order.id)!;
    expect(after.status).toBe('partially_shipped');
    expect(after.updated_at).toBe('2026-06-01T00:00:00.000Z');
    now += 1000;
    const rest = order.items.slice(1).map((it) => ({ item_id: it.id, sku: it.sku, qty: it.qty_ordered }));
    expect((await send(sim, 'POST', `/orders/${order.id}/shipments`, { lines: rest }, 'ship:b')).status).toBe(201);
    after = sim.state.orders.get(order.id)!;
    expect(after.status).toBe('complete');
    expect(after.shipments).toHaveLength(2);
    const tooMuch = await send(sim, 'POST', `/orders/${order.id}/shipments`, { lines: [{ sku: first.sku, qty: 1 }] }, 'ship:c');
    expect(tooMuch.status).toBe(422);
    expect((await send(sim, 'POST', '/orders/1/shipments', { lines: [{ sku: 'X', qty: 1 }] }, 'ship:d')).status).toBe(404);
  });

  test('create, patch and cancel change state; invalid bodies are 422 and change nothing', async () => {
    const sim = await start({ data: { orders: 10, products: 3 } });
    const created = await send(
      sim,
      'POST',
      '/orders',
      { number: 'EXT-9', currency: 'EUR', customer: { email: 'a@b.c' }, items: [{ sku: 'SKU-1', qty_ordered: 2, price: '10.50' }], shipping_amount: '4.90' },
      'create:9',
    );
    expect(created.status).toBe(201);
    const order = (await created.json()) as SimOrder;
    expect(order).toMatchObject({ id: '900000001', subtotal: '21.00', grand_total: '25.90', status: 'pending' });
    const patched = await send(sim, 'PATCH', '/products/SKU-2', { name: 'New name', status: 'disabled' }, 'patch:2');
    expect(await patched.json()).toMatchObject({ sku: 'SKU-2', name: 'New name', status: 'disabled' });
    expect((await send(sim, 'PATCH', '/products/SKU-2', { colour: 'red' }, 'patch:3')).status).toBe(422);
    expect((await send(sim, 'PATCH', '/products/NOPE', { name: 'x' }, 'patch:4')).status).toBe(404);
    const canceled = await send(sim, 'POST', `/orders/${order.id}/cancel`, { reason: 'buyer asked' }, 'cancel:9');
    expect(await canceled.json()).toMatchObject({ status: 'canceled', items: [{ qty_canceled: 2 }] });
    expect((await send(sim, 'POST', `/orders/${order.id}/cancel`, {}, 'cancel:9b')).status).toBe(422);
    expect((await send(sim, 'POST', '/orders', { number: 'bad' }, 'create:bad')).status).toBe(422);
    expect(sim.state.effectLog.map((e) => e.route)).toEqual(['orders.create', 'products.update', 'orders.cancel']);
    expect(sim.state.calls.get('orders.create')).toBe(2);
  });
});

describe('fault switches', () => {
  test('throttleNext answers the next n requests 429 (counted), then the route works again', async () => {
    const sim = await start();
    sim.faults.throttleNext(2, { retryAfterSec: 3 });
    const a = await get(sim, '/me');
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('3');
    expect((await get(sim, '/me')).status).toBe(429);
    expect((await get(sim, '/me')).status).toBe(200);
    expect(sim.state.throttled).toBe(2);
    expect(sim.faults.fired.throttle).toBe(2);
    expect(sim.faults.pending).toHaveLength(0);
  });

  test('error500Next and error503Next hit only the routes they name', async () => {
    const sim = await start();
    sim.faults.error503Next(1, { routes: ['orders.list'] }).error500Next(1);
    expect((await get(sim, '/me')).status).toBe(500);
    expect((await get(sim, '/me')).status).toBe(200);
    expect((await get(sim, '/orders')).status).toBe(503);
    expect((await get(sim, '/orders')).status).toBe(200);
    expect(sim.state.log.map((r) => r.fault)).toEqual(['error500', null, 'error503', null]);
  });

  test('errorRate fails a seeded, repeatable share of requests', async () => {
    const sequence = async () => {
      const sim = await start({ seed: 42 });
      sim.faults.errorRate(503, 0.3);
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await get(sim, '/me')).status);
      return statuses;
    };
    const one = await sequence();
    const two = await sequence();
    expect(two).toEqual(one);
    const failed = one.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(3);
    expect(failed).toBeLessThan(25);
    expect(one.every((s) => s === 200 || s === 503)).toBe(true);
  });

  test('hangNext makes a client time out; a hung write still takes effect afterwards', async () => {
    const sim = await start({ data: { products: 2, inventory: 2 } });
    sim.faults.hangNext(1, 400);
    await expect(get(sim, '/orders', { 'x-api-key': KEY }, AbortSignal.timeout(100))).rejects.toThrow();
    sim.faults.hangNext(1, 300);
    const hung = fetch(`${sim.url}/inventory/SKU-0`, {
      method: 'PUT',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'idempotency-key': 'slow' },
      body: JSON.stringify({ quantity: 7 }),
      signal: AbortSignal.timeout(50),
    });
    await expect(hung).rejects.toThrow();
    expect(sim.state.effects.get('slow')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 400));
    expect(sim.state.effects.get('slow')).toBe(1);
    expect(sim.state.inventory.get('SKU-0@default')!.quantity).toBe(7);
  });

  test('dropNext destroys the connection without handling the request', async () => {
    const sim = await start({ data: { products: 2, inventory: 2 } });
    sim.faults.dropNext(1, { routes: ['inventory.set'] });
    await expect(send(sim, 'PUT', '/inventory/SKU-0', { quantity: 9 }, 'drop:1')).rejects.toThrow(/fetch failed/);
    expect(sim.state.effects.size).toBe(0);
    expect(sim.state.log.at(-1)).toMatchObject({ route: 'inventory.set', status: 0, fault: 'drop' });
    expect((await send(sim, 'PUT', '/inventory/SKU-0', { quantity: 9 }, 'drop:1')).status).toBe(200);
  });

  test('malformedNext answers 200 with a body that is not JSON', async () => {
    const sim = await start({ data: { orders: 5 } });
    sim.faults.malformedNext(1);
    const res = await get(sim, '/orders');
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
    expect(((await (await get(sim, '/orders')).json()) as Page<unknown>).items).toHaveLength(5);
  });

  test('failAfterEffectNext applies the write, drops the answer, and the retry with the same key replays it', async () => {
    const sim = await start({ data: { orders: 10 } });
    sim.faults.failAfterEffectNext(1);
    // Reads are never hit by this fault.
    expect((await get(sim, '/orders')).status).toBe(200);
    const body = { lines: [{ sku: 'SKU-0', qty: 1 }], carrier: 'DHL', tracking_number: 'T' };
    await expect(send(sim, 'POST', '/orders/100000001/shipments', body, 'confirm-shipment:1')).rejects.toThrow();
    expect(sim.state.effects.get('confirm-shipment:1')).toBe(1);
    const retry = await send(sim, 'POST', '/orders/100000001/shipments', body, 'confirm-shipment:1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(sim.state.effects.get('confirm-shipment:1')).toBe(1);
    expect(sim.state.orders.get('100000001')!.shipments).toHaveLength(1);
  });

  test('calls are counted per route, whatever the answer', async () => {
    const sim = await start();
    sim.faults.error500Next(1);
    await get(sim, '/me');
    await get(sim, '/me');
    await get(sim, '/orders', {});
    expect(Object.fromEntries(sim.state.calls)).toEqual({ me: 2, 'orders.list': 1 });
    expect(sim.state.totalCalls()).toBe(3);
    expect(sim.state.log.map((r) => r.status)).toEqual([500, 200, 401]);
  });
});
