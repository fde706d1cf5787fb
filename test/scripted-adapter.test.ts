// The scripted_http adapter against the scripted upstream: pulls over every page, normalizers that yield
// valid canonical inputs (and a validation error for a corrupt record), idempotent writes, one AppError
// kind per failure class, and a throttle asked before every single request.
import { afterEach, describe, expect, test } from 'vitest';
import { AdapterRegistry } from '../src/adapters/registry.ts';
import { AppError } from '../src/core/errors.ts';
import { InventoryLevelInput, OrderInput, ProductInput } from '../src/core/model/index.ts';
import type { ChannelAdapter, PullWindow, RateSpec, RawRecord, Throttle } from '../src/core/ports.ts';
import extraAdapters, { scriptedHttpAdapter } from './support/scripted-adapter.ts';
import { orderInput } from './support/seed.ts';
import { startScriptedUpstream, type ScriptedUpstream, type ScriptedUpstreamOptions } from './sim/scripted/server.ts';
import { WIDE, failure, pullAll } from './support/adapter-calls.ts';

/** A throttle that never waits and remembers every call, with how many requests the upstream had seen. */
class RecordingThrottle implements Throttle {
  readonly calls: { method: 'acquire' | 'learn' | 'penalize' | 'refund'; key: string; arg: unknown; seenRequests: number }[] = [];
  constructor(private readonly sim: ScriptedUpstream) {}
  async acquire(key: string, spec: RateSpec): Promise<void> {
    this.calls.push({ method: 'acquire', key, arg: spec, seenRequests: this.sim.state.totalCalls() });
  }
  async learn(key: string, spec: Partial<RateSpec>): Promise<void> {
    this.calls.push({ method: 'learn', key, arg: spec, seenRequests: this.sim.state.totalCalls() });
  }
  async penalize(key: string, retryAfterMs: number): Promise<void> {
    this.calls.push({ method: 'penalize', key, arg: retryAfterMs, seenRequests: this.sim.state.totalCalls() });
  }
  async refund(key: string, tokens: number): Promise<void> {
    this.calls.push({ method: 'refund', key, arg: tokens, seenRequests: this.sim.state.totalCalls() });
  }
  of(method: 'acquire' | 'learn' | 'penalize' | 'refund') {
    return this.calls.filter((c) => c.method === method);
  }
}

let sims: ScriptedUpstream[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.stop()));
  sims = [];
});

async function setup(options: ScriptedUpstreamOptions = {}, settings: Record<string, unknown> = {}, apiKey = 'test-key') {
  const sim = await startScriptedUpstream({ rateLimit: false, ...options });
  sims.push(sim);
  const throttle = new RecordingThrottle(sim);
  const adapter = scriptedHttpAdapter.create({
    connectionId: 'con_test',
    tenantId: 'ten_test',
    settings: scriptedHttpAdapter.settingsSchema.parse({ base_url: sim.url, ...settings }),
    credentials: scriptedHttpAdapter.credentialsSchema.parse({ api_key: apiKey }),
    allowPrivateUpstreams: true,
    throttle,
  });
  return { sim, throttle, adapter };
}

describe('registration and connection test', () => {
  test('the default export is a list of factories the registry accepts, with the declared capabilities', () => {
    const registry = new AdapterRegistry(extraAdapters);
    expect(registry.channels()).toEqual(['scripted_http', 'scripted_shop']);
    expect(registry.get('scripted_http')!.manifest.capabilities).toEqual(
      expect.arrayContaining(['orders.read', 'products.read', 'inventory.read', 'inventory.write', 'shipments.write', 'orders.write', 'products.write', 'orders.cancel']),
    );
    expect(scriptedHttpAdapter.settingsSchema.parse({ base_url: 'http://127.0.0.1:1' })).toMatchObject({ rate_per_sec: 2, burst: 5, auth: 'api_key' });
  });

  test('testConnection passes with a good key and fails with auth_failed, upstream_unavailable or validation', async () => {
    const { adapter, sim } = await setup();
    await expect(adapter.testConnection()).resolves.toBeUndefined();
    const bad = await setup({}, {}, 'wrong-key');
    expect((await failure(bad.adapter.testConnection())).kind).toBe('auth_failed');
    const down = scriptedHttpAdapter.create({
      connectionId: 'c',
      tenantId: 't',
      settings: scriptedHttpAdapter.settingsSchema.parse({ base_url: 'http://127.0.0.1:9' }),
      credentials: { api_key: 'test-key' },
      allowPrivateUpstreams: true,
    });
    expect((await failure(down.testConnection())).kind).toBe('upstream_unavailable');
    const ssrf = scriptedHttpAdapter.create({
      connectionId: 'c',
      tenantId: 't',
      settings: scriptedHttpAdapter.settingsSchema.parse({ base_url: sim.url }),
      credentials: { api_key: 'test-key' },
      allowPrivateUpstreams: false,
    });
    expect((await failure(ssrf.testConnection())).kind).toBe('validation');
  });
});

describe('pull and normalize', () => {
  test('a pull over all pages returns every record once, with external ids and updated_at', async () => {
    const { adapter } = await setup({ data: { orders: 250 } }, { page_size: 100 });
    const { records, pages } = await pullAll(adapter, 'orders');
    expect(pages).toBe(3);
    expect(new Set(records.map((r) => r.external_id)).size).toBe(250);
    expect(records[0]).toMatchObject({ external_id: '100000001', updated_at: '2026-01-01T00:00:00.000Z' });
  });

  test('an incremental window returns only what changed in it', async () => {
    const { adapter, sim } = await setup({ data: { orders: 100, inventory: 50, products: 50 } });
    const before = new Date().toISOString();
    sim.state.touch('orders', ['100000010', '100000020', '100000030']);
    sim.state.update('inventory', 'SKU-4@default', (l) => void (l.quantity = 99));
    const window = { from: before, to: new Date(Date.now() + 1000).toISOString() };
    expect((await pullAll(adapter, 'orders', window)).records.map((r) => r.external_id)).toEqual(['100000010', '100000020', '100000030']);
    const levels = (await pullAll(adapter, 'inventory', window)).records;
    expect(levels.map((r) => r.external_id)).toEqual(['SKU-4@default']);
    expect((await pullAll(adapter, 'products', window)).records).toEqual([]);
  });

  test('orders, products and stock normalize to valid canonical inputs', async () => {
    const { adapter } = await setup({ data: { orders: 30, products: 12, inventory: 12 } });
    const orders = (await pullAll(adapter, 'orders')).records.map((r) => adapter.normalize!('orders', r));
    for (const o of orders) expect(OrderInput.safeParse(o).success).toBe(true);
    const byId = new Map(orders.map((o) => [o.external_id, o]));
    // Seeded order #7 (index 6) is 'complete' in GBP with one line.
    expect(byId.get('100000007')).toMatchObject({ status: 'shipped', channel_status: 'complete', currency: 'GBP', fulfillment_channel: 'merchant' });
    const o3 = byId.get('100000003')!;
    expect(o3.lines).toHaveLength(3);
    expect(o3.totals.total).toEqual({ amount: o3.totals.total.amount, currency: 'EUR' });
    expect(o3.lines[1]).toMatchObject({ external_id: '100000003-2', quantity: 2, unit_price: { amount: expect.stringMatching(/^\d+\.\d\d$/), currency: 'EUR' } });
    expect(o3.shipping_address).toMatchObject({ line1: 'Street 2', city: 'London', country: 'GB' });

    const products = (await pullAll(adapter, 'products')).records.map((r) => adapter.normalize!('products', r));
    for (const p of products) expect(ProductInput.safeParse(p).success).toBe(true);
    expect(products[10]).toMatchObject({ external_id: 'SKU-10', status: 'inactive', variants: [{ sku: 'SKU-10' }] });

    const levels = (await pullAll(adapter, 'inventory')).records.map((r) => adapter.normalize!('inventory', r));
    for (const l of levels) expect(InventoryLevelInput.safeParse(l).success).toBe(true);
    expect(levels[5]).toEqual({ sku: 'SKU-5', location_id: 'default', fulfillment_channel: 'merchant', on_hand: 185, reserved: 2, available: 183, updated_at: '2026-01-01T00:00:05.000Z' });
  });

  test('a corrupt record fails normalize with a validation error naming the field; its neighbours do not', async () => {
    const { adapter, sim } = await setup({ data: { orders: 3 } });
    sim.state.corrupt('orders', '100000002');
    const { records } = await pullAll(adapter, 'orders');
    expect(records).toHaveLength(3);
    expect(() => adapter.normalize!('orders', records[0]!)).not.toThrow();
    let err: unknown;
    try {
      adapter.normalize!('orders', records[1]!);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'validation', retriable: false, errors: [expect.objectContaining({ path: 'currency' })] });
    expect(() => adapter.normalize!('orders', records[2]!)).not.toThrow();
  });
});

describe('writes', () => {
  test('every write sends its idempotency key, so the same write twice takes effect once', async () => {
    const { adapter, sim } = await setup({ data: { orders: 10, products: 5, inventory: 5 } });
    const w = adapter.writes!;
    const a = await w.setStock!({ sku: 'SKU-1', quantity: 17 }, { idempotencyKey: 'set-stock:SKU-1:17' });
    const b = await w.setStock!({ sku: 'SKU-1', quantity: 17 }, { idempotencyKey: 'set-stock:SKU-1:17' });
    expect(b).toEqual(a);
    expect(a).toMatchObject({ external_id: 'SKU-1@default', data: { quantity: 17 } });
    const ship = { order_external_id: '100000004', lines: [{ external_line_id: '100000004-1', sku: 'SKU-3', quantity: 1 }], carrier: 'DHL', tracking_number: 'T-4' };
    const s1 = await w.createShipment!(ship, { idempotencyKey: 'confirm-shipment:shp_4' });
    const s2 = await w.createShipment!(ship, { idempotencyKey: 'confirm-shipment:shp_4' });
    expect(s2.external_id).toBe(s1.external_id);
    const created = await w.createOrder!(orderInput(1), { idempotencyKey: 'create-order:1' });
    expect((await w.createOrder!(orderInput(1), { idempotencyKey: 'create-order:1' })).external_id).toBe(created.external_id);
    await w.updateProduct!({ sku: 'SKU-2', fields: { title: 'Renamed', status: 'inactive' } }, { idempotencyKey: 'update-product:SKU-2' });
    await w.updateProduct!({ sku: 'SKU-2', fields: { title: 'Renamed', status: 'inactive' } }, { idempotencyKey: 'update-product:SKU-2' });
    await w.cancelOrder!({ order_external_id: '100000002', reason: 'buyer' }, { idempotencyKey: 'cancel:2' });
    // A second cancel of a canceled order would be refused (422); the replay answers the first result.
    await expect(w.cancelOrder!({ order_external_id: '100000002', reason: 'buyer' }, { idempotencyKey: 'cancel:2' })).resolves.toMatchObject({ external_id: '100000002' });

    expect(sim.state.duplicateEffects()).toEqual([]);
    expect([...sim.state.effects.keys()]).toEqual(['set-stock:SKU-1:17', 'confirm-shipment:shp_4', 'create-order:1', 'update-product:SKU-2', 'cancel:2']);
    expect([...sim.state.attempts.values()]).toEqual([2, 2, 2, 2, 2]);
    expect(sim.state.orders.get('100000004')!.shipments).toHaveLength(1);
    expect(sim.state.products.get('SKU-2')).toMatchObject({ name: 'Renamed', status: 'disabled' });
    expect(sim.state.orders.get('100000002')!.status).toBe('canceled');
  });

  test('a created order reads back as the same canonical order', async () => {
    const { adapter, sim } = await setup();
    const input = orderInput(7);
    const { external_id } = await adapter.writes!.createOrder!(input, { idempotencyKey: 'create-order:7' });
    const [record] = (await pullAll(adapter, 'orders')).records;
    expect(record!.external_id).toBe(external_id);
    const back = adapter.normalize!('orders', record!);
    expect(back).toMatchObject({ order_number: input.order_number, status: input.status, currency: 'EUR', totals: { subtotal: input.totals.subtotal, total: input.totals.total } });
    expect(back.lines.map((l) => [l.sku, l.quantity, l.unit_price.amount])).toEqual(input.lines.map((l) => [l.sku, l.quantity, l.unit_price.amount]));
    expect(sim.state.effectLog).toHaveLength(1);
  });

  test('a write whose answer is lost after it took effect is safe to retry with its key', async () => {
    const { adapter, sim } = await setup({ data: { orders: 10 } });
    sim.faults.failAfterEffectNext(1);
    const ship = { order_external_id: '100000001', lines: [{ sku: 'SKU-0', quantity: 1 }], carrier: 'UPS', tracking_number: '1Z' };
    const lost = await failure(adapter.writes!.createShipment!(ship, { idempotencyKey: 'confirm-shipment:shp_1' }));
    expect(lost).toMatchObject({ kind: 'upstream_unavailable', retriable: true });
    const retried = await adapter.writes!.createShipment!(ship, { idempotencyKey: 'confirm-shipment:shp_1' });
    expect(retried.external_id).toBe(sim.state.orders.get('100000001')!.shipments[0]!.id);
    expect(sim.state.effects.get('confirm-shipment:shp_1')).toBe(1);
  });
});

describe('error classes', () => {
  test('401 and 403 are auth_failed; 422 and 400 are validation; 404 not_found; 409 conflict', async () => {
    const { adapter, sim } = await setup({ data: { orders: 5, products: 2, inventory: 2 }, readOnlyKeys: ['ro-key'] });
    const bad = await setup({}, {}, 'wrong-key');
    expect(await failure(bad.adapter.pull!('orders', { window: WIDE, cursor: null, full: true }))).toMatchObject({ kind: 'auth_failed', retriable: false });
    const ro = scriptedHttpAdapter.create({ connectionId: 'c', tenantId: 't', settings: scriptedHttpAdapter.settingsSchema.parse({ base_url: sim.url }), credentials: { api_key: 'ro-key' }, allowPrivateUpstreams: true });
    expect((await failure(ro.writes!.setStock!({ sku: 'SKU-0', quantity: 1 }, { idempotencyKey: 'ro' }))).kind).toBe('auth_failed');

    const overShip = await failure(adapter.writes!.createShipment!({ order_external_id: '100000001', lines: [{ sku: 'SKU-0', quantity: 5 }] }, { idempotencyKey: 'over' }));
    expect(overShip).toMatchObject({ kind: 'validation', retriable: false });
    expect(overShip.errors).toEqual([expect.objectContaining({ path: 'lines.0.qty' })]);
    const badCursor = await failure(adapter.pull!('orders', { window: WIDE, cursor: 'not-a-token', full: true }));
    expect(badCursor).toMatchObject({ kind: 'validation', retriable: false });

    expect((await failure(adapter.writes!.cancelOrder!({ order_external_id: '42' }, { idempotencyKey: 'x' }))).kind).toBe('not_found');
    await adapter.writes!.setStock!({ sku: 'SKU-0', quantity: 1 }, { idempotencyKey: 'same' });
    expect((await failure(adapter.writes!.setStock!({ sku: 'SKU-0', quantity: 2 }, { idempotencyKey: 'same' }))).kind).toBe('conflict');
    // Nothing here leaks the credential.
    expect(JSON.stringify([overShip.message, badCursor.message])).not.toContain('test-key');
  });

  test('500, 503, timeouts, dropped connections and malformed JSON are upstream_unavailable (transient)', async () => {
    const { adapter, sim } = await setup({ data: { orders: 5 } }, { timeout_ms: 150 });
    const pull = () => adapter.pull!('orders', { window: WIDE, cursor: null, full: true });
    sim.faults.error500Next(1).error503Next(1).hangNext(1, 1000).dropNext(1).malformedNext(1);
    const kinds: string[] = [];
    const messages: string[] = [];
    for (let i = 0; i < 5; i++) {
      const err = await failure(pull());
      expect(err.retriable).toBe(true);
      kinds.push(err.kind);
      messages.push(err.message);
    }
    expect(kinds).toEqual(Array(5).fill('upstream_unavailable'));
    expect(messages[0]).toContain('500');
    expect(messages[1]).toContain('503');
    expect(messages[2]).toContain('timed out after 150 ms');
    expect(messages[4]).toContain('malformed JSON');
    expect((await pull()).records).toHaveLength(5);
  });

  test('429 penalizes the bucket and throws throttled with retry-after; the next call asks the throttle again', async () => {
    const { adapter, sim, throttle } = await setup({ data: { orders: 5 }, rateLimit: { enabled: false, headers: true } });
    sim.faults.throttleNext(1, { retryAfterSec: 4 });
    const err = await failure(adapter.pull!('orders', { window: WIDE, cursor: null, full: true }));
    expect(err).toMatchObject({ kind: 'throttled', retryAfterMs: 4000, retriable: true });
    const [penalty] = throttle.of('penalize');
    expect(penalty).toMatchObject({ key: expect.stringMatching(/^scripted_http:[0-9a-f]{16}:orders\.list$/), arg: 4000 });
    await adapter.pull!('orders', { window: WIDE, cursor: null, full: true });
    expect(throttle.of('acquire')).toHaveLength(2);
  });

  test('the real rate limiter: a burst past the limit turns into throttled errors, not failures', async () => {
    const { adapter, sim } = await setup({ data: { orders: 5 }, rateLimit: { ratePerSec: 1, burst: 2 } });
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => adapter.pull!('orders', { window: WIDE, cursor: null, full: true })));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as AppError).kind);
    expect(rejected).toEqual(['throttled', 'throttled']);
    expect(sim.state.throttled).toBe(2);
  });
});

describe('throttle', () => {
  test('acquire comes before every request (pulls, writes, failures, token exchanges), under an account-hashed key', async () => {
    const { adapter, sim, throttle } = await setup({ data: { orders: 120, products: 3, inventory: 3 } }, { page_size: 50, auth: 'token' });
    await adapter.testConnection();
    await pullAll(adapter, 'orders');
    await adapter.writes!.setStock!({ sku: 'SKU-1', quantity: 3 }, { idempotencyKey: 'k1' });
    sim.faults.error503Next(1);
    await failure(adapter.pull!('products', { window: WIDE, cursor: null, full: true }));
    sim.faults.expireTokens();
    await adapter.pull!('inventory', { window: WIDE, cursor: null, full: true });

    const acquires = throttle.of('acquire');
    expect(acquires).toHaveLength(sim.state.totalCalls());
    // The i-th acquire happened after i-1 requests had reached the upstream and before the i-th.
    expect(acquires.map((a) => a.seenRequests)).toEqual(acquires.map((_, i) => i));
    const ops = acquires.map((a) => a.key.split(':')[2]);
    expect(ops).toEqual(sim.state.log.map((r) => r.route));
    expect(ops).toEqual(['auth.token', 'me', 'orders.list', 'orders.list', 'orders.list', 'inventory.set', 'products.list', 'inventory.list', 'auth.token', 'inventory.list']);
    expect(new Set(acquires.map((a) => a.key.split(':')[1])).size).toBe(1);
    expect(acquires.every((a) => !a.key.includes('test-key'))).toBe(true);
    expect(acquires[0]!.arg).toEqual({ ratePerSec: 2, burst: 5 });
  });

  test('the settings seed the bucket; x-ratelimit-limit teaches the throttle the real rate once', async () => {
    const { adapter, sim, throttle } = await setup({ data: { orders: 5 }, rateLimit: { ratePerSec: 7, burst: 100 } }, { rate_per_sec: 3, burst: 9, throttle_scope: 'account' });
    await adapter.testConnection();
    await adapter.pull!('orders', { window: WIDE, cursor: null, full: true });
    expect(throttle.of('acquire').map((a) => a.arg)).toEqual([
      { ratePerSec: 3, burst: 9 },
      { ratePerSec: 3, burst: 9 },
    ]);
    expect(throttle.of('learn')).toEqual([expect.objectContaining({ key: expect.stringMatching(/:\*$/), arg: { ratePerSec: 7 } })]);
    sim.config.rateLimit.ratePerSec = 4;
    await adapter.testConnection();
    expect(throttle.of('learn').map((l) => l.arg)).toEqual([{ ratePerSec: 7 }, { ratePerSec: 4 }]);
  });
});

describe('tokens', () => {
  test('a token is fetched once, reused, and replaced when it expires mid-run', async () => {
    const { adapter, sim } = await setup({ data: { orders: 60 }, requireToken: true }, { auth: 'token', page_size: 20 });
    let cursor: string | null = null;
    const ids: string[] = [];
    let page = 0;
    do {
      const p = await adapter.pull!('orders', { window: WIDE, cursor, full: true });
      ids.push(...p.records.map((r) => r.external_id));
      cursor = p.next;
      if (++page === 1) sim.faults.expireTokens();
    } while (cursor);
    expect(ids).toHaveLength(60);
    expect(sim.state.calls.get('auth.token')).toBe(2);
    expect(sim.state.log.filter((r) => r.status === 401)).toHaveLength(1);
  });

  test('a key the token endpoint refuses is auth_failed', async () => {
    const { adapter } = await setup({ requireToken: true }, { auth: 'token' }, 'wrong-key');
    expect((await failure(adapter.testConnection())).kind).toBe('auth_failed');
  });
});
