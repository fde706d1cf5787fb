// The SP-API traps, each against the simulator (test/sim/amazon): LWA token caching and failures,
// throttling, pagination with repeated filters, Pending and FBA orders, shipment confirmation, bulk
// writes by patch or feed, and product type validation.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createAmazonAdapter, amazonAdapter } from '../../src/adapters/amazon/index.ts';
import { clearTokenCache, LwaTokens } from '../../src/adapters/amazon/lwa.ts';
import { packageReferenceIdOf } from '../../src/adapters/amazon/orders.ts';
import { subscribeOrderChanges } from '../../src/adapters/amazon/subscriptions.ts';
import { AppError } from '../../src/core/errors.ts';
import type { ChannelAdapter, PullWindow, RateSpec, RawRecord, Throttle, UpstreamCall } from '../../src/core/ports.ts';
import { startAmazonSim, type AmazonSim } from '../sim/amazon/index.ts';
import { WIDE, failure, pullAll } from '../support/adapter-calls.ts';

/** Our throttle port, recording what the adapter asks of it (it never waits). */
class RecordingThrottle implements Throttle {
  acquired: string[] = [];
  learned: { key: string; spec: Partial<RateSpec> }[] = [];
  penalized: { key: string; ms: number }[] = [];
  async acquire(key: string): Promise<void> {
    this.acquired.push(key);
  }
  async learn(key: string, spec: Partial<RateSpec>): Promise<void> {
    this.learned.push({ key, spec });
  }
  async penalize(key: string, ms: number): Promise<void> {
    this.penalized.push({ key, ms });
  }
  refunded: { key: string; tokens: number }[] = [];
  async refund(key: string, tokens: number): Promise<void> {
    this.refunded.push({ key, tokens });
  }
}

interface Rig {
  sim: AmazonSim;
  adapter: ChannelAdapter;
  throttle: RecordingThrottle;
  calls: UpstreamCall[];
  make(overrides?: { credentials?: Record<string, string>; settings?: Record<string, unknown>; now?: () => number }): ChannelAdapter;
}

async function rig(options: Parameters<typeof startAmazonSim>[0] = {}, settings: Record<string, unknown> = {}, now?: () => number): Promise<Rig> {
  clearTokenCache();
  const sim = await startAmazonSim({ rateLimits: false, ...options });
  const throttle = new RecordingThrottle();
  const calls: UpstreamCall[] = [];
  const make: Rig['make'] = (o = {}) =>
    createAmazonAdapter(
      {
        connectionId: 'con_test',
        tenantId: 'ten_test',
        settings: amazonAdapter.settingsSchema.parse({ region: 'na', seller_id: sim.sellerId, marketplace_ids: sim.marketplaceIds, endpoint: sim.url, lwa_endpoint: sim.lwaUrl, timeout_ms: 3000, feed_poll_ms: 20, ...settings, ...o.settings }),
        credentials: amazonAdapter.credentialsSchema.parse({ ...sim.credentials, ...o.credentials }),
        allowPrivateUpstreams: true,
        throttle,
        onUpstreamCall: (c) => calls.push(c),
      },
      o.now ?? now,
    );
  return { sim, throttle, calls, make, adapter: make() };
}

describe('Login with Amazon', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ seed: { listings: 5, orders: 5, seed: 1 } });
  });
  afterAll(() => r.sim.stop());
  afterEach(() => r.sim.faults.clear());

  test('twenty calls at once on a cold cache exchange the refresh token once', async () => {
    clearTokenCache();
    const before = r.sim.tokensIssued();
    const adapters = Array.from({ length: 4 }, () => r.make());
    await Promise.all(Array.from({ length: 20 }, (_, i) => adapters[i % 4]!.fetch!('products', 'SIM-000001')));
    expect(r.sim.tokensIssued() - before).toBe(1);
  });

  test('a token is refreshed before it expires, not after, and only once per refresh', async () => {
    clearTokenCache();
    let now = 1_000_000;
    let exchanges = 0;
    const tokens = new LwaTokens({
      endpoint: r.sim.lwaUrl,
      credentials: r.sim.credentials,
      now: () => now,
      exchange: async (form) => {
        exchanges++;
        const res = await fetch(r.sim.lwaUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
        return { status: res.status, text: await res.text() };
      },
    });
    const first = await tokens.get();
    now += 3_600_000 - 61_000; // a minute and a second before expiry: still the same token
    expect(await tokens.get()).toBe(first);
    now += 2_000; // inside the last minute: refreshed although not yet expired
    const [a, b, c] = await Promise.all([tokens.get(), tokens.get(), tokens.get()]);
    expect(a).not.toBe(first);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(exchanges).toBe(2);
  });

  test('an access token Amazon calls expired is replaced and the call goes through', async () => {
    await r.adapter.fetch!('products', 'SIM-000002');
    const before = r.sim.tokensIssued();
    r.sim.faults.expireTokens();
    const rec = await r.adapter.fetch!('products', 'SIM-000002');
    expect(rec?.external_id).toBe('SIM-000002');
    expect(r.sim.tokensIssued() - before).toBe(1);
  });

  test('an expired client secret (invalid_client) is auth_failed, says what to do, and is never retried', async () => {
    clearTokenCache();
    r.sim.faults.expireClientSecret(true);
    const lwaBefore = r.sim.requests.filter((q) => q.path.includes('/auth/o2/token')).length;
    const err = await failure(r.make().testConnection());
    expect(err.kind).toBe('auth_failed');
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/invalid_client/);
    expect(err.message).toMatch(/secret/);
    expect(r.sim.requests.filter((q) => q.path.includes('/auth/o2/token')).length - lwaBefore).toBe(1);
    r.sim.faults.expireClientSecret(false);
  });

  test('ORDER_CHANGE delivery: the destination with a grantless token, the subscription with the seller\'s; again reuses both', async () => {
    const ctx = {
      connectionId: 'con_test',
      tenantId: 'ten_test',
      settings: amazonAdapter.settingsSchema.parse({ region: 'na', seller_id: r.sim.sellerId, marketplace_ids: r.sim.marketplaceIds, endpoint: r.sim.url, lwa_endpoint: r.sim.lwaUrl }),
      credentials: r.sim.credentials,
      allowPrivateUpstreams: true,
    };
    const arn = 'arn:aws:sqs:us-east-1:123456789012:switchyard-notifications';
    const first = await subscribeOrderChanges(ctx, arn);
    const again = await subscribeOrderChanges(ctx, arn);
    expect(again).toEqual(first);
    expect(r.sim.state.destinations.size).toBe(1);
    expect([...r.sim.state.subscriptions.values()].filter((x) => x.notificationType === 'ORDER_CHANGE').length).toBe(1);
    expect(r.sim.requests.filter((q) => q.operation === 'createDestination' && q.status === 200).length).toBe(1);
  });

  test('a revoked refresh token (invalid_grant) is auth_failed and never retried', async () => {
    clearTokenCache();
    r.sim.faults.revokeRefreshToken();
    const err = await failure(r.make().pull!('orders', { window: WIDE, cursor: null, full: true }));
    expect(err.kind).toBe('auth_failed');
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/invalid_grant/);
  });
});

describe('throttling', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ seed: { listings: 5, orders: 30, seed: 2 }, rateLimits: true, timeScale: 60 });
  });
  afterAll(() => r.sim.stop());

  test('every operation asks the throttle under its own key and learns the rate Amazon announces', async () => {
    await pullAll(r.adapter, 'orders', WIDE);
    await r.adapter.fetch!('products', 'SIM-000001');
    expect(r.throttle.acquired.some((k) => k.endsWith(':searchOrders'))).toBe(true);
    expect(r.throttle.acquired.some((k) => k.endsWith(':getListingsItem'))).toBe(true);
    const learned = r.throttle.learned.find((l) => l.key.endsWith(':searchOrders'));
    expect(learned?.spec.ratePerSec).toBeCloseTo(0.0056 * 60, 5);
    // every call is reported with Amazon's request id
    expect(r.calls.filter((c) => c.operation === 'searchOrders').every((c) => typeof c.requestId === 'string' && c.requestId.length > 0)).toBe(true);
  });

  test("each call is logged with Amazon's request id; no log line carries a token or a secret", async () => {
    clearTokenCache();
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const adapter = createAmazonAdapter({
      connectionId: 'con_log',
      tenantId: 'ten_log',
      settings: amazonAdapter.settingsSchema.parse({ region: 'na', seller_id: r.sim.sellerId, marketplace_ids: r.sim.marketplaceIds, endpoint: r.sim.url, lwa_endpoint: r.sim.lwaUrl }),
      credentials: r.sim.credentials,
      allowPrivateUpstreams: true,
      log: pino({ level: 'debug' }, sink),
    });
    r.sim.faults.storm429(1, 'getListingsItem');
    await failure(adapter.fetch!('products', 'SIM-000001'));
    await adapter.fetch!('products', 'SIM-000001');
    const calls = lines.map((l) => JSON.parse(l) as { operation?: string; status?: number; upstream_request_id?: string });
    const reads = calls.filter((c) => c.operation === 'getListingsItem');
    expect(reads.map((c) => c.status)).toEqual([429, 200]);
    for (const c of reads) expect(c.upstream_request_id).toMatch(/.+/);
    const all = lines.join('\n');
    for (const secret of [r.sim.credentials.client_secret, r.sim.credentials.refresh_token, 'Atza|']) expect(all).not.toContain(secret);
  });

  test('a hung answer times out and a malformed body fails, both as retriable upstream_unavailable', async () => {
    const quick = r.make({ settings: { timeout_ms: 300 } });
    await quick.fetch!('products', 'SIM-000001');
    r.sim.faults.timeoutNext(1);
    const hung = await failure(quick.fetch!('products', 'SIM-000001'));
    expect(hung.kind).toBe('upstream_unavailable');
    expect(hung.retriable).toBe(true);
    expect(hung.message).toMatch(/timed out/);
    r.sim.faults.malformedNext(1);
    const bad = await failure(quick.fetch!('products', 'SIM-000001'));
    expect(bad.kind).toBe('upstream_unavailable');
    expect(bad.retriable).toBe(true);
    r.sim.faults.clear();
  });

  test('429 QuotaExceeded spends the bucket and surfaces as throttled with the time a token takes to come back', async () => {
    r.sim.faults.storm429(1, 'getListingsItem');
    const err = await failure(r.adapter.fetch!('products', 'SIM-000001'));
    expect(err.kind).toBe('throttled');
    expect(err.retriable).toBe(true);
    // getListingsItem is 5/s; the adapter learned the simulator's x60 rate from the header: 1 token per 1000/300 ms
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(200);
    const p = r.throttle.penalized.at(-1);
    expect(p?.key.endsWith(':getListingsItem')).toBe(true);
    expect(p?.ms).toBe(err.retryAfterMs);
    expect(r.calls.some((c) => c.operation === 'getListingsItem' && c.status === 429)).toBe(true);
    // and the next call goes through
    expect((await r.adapter.fetch!('products', 'SIM-000001'))?.external_id).toBe('SIM-000001');
  });
});

describe('orders', () => {
  let r: Rig;
  let t = Date.parse('2026-06-01T12:00:00Z');
  const clock = () => t;
  beforeAll(async () => {
    r = await rig({ seed: { listings: 10, orders: 260, seed: 3 }, clock }, {}, clock);
  });
  afterAll(() => r.sim.stop());

  test('pages after the first repeat the first page\'s filters, even when "now" has moved on', async () => {
    const window = { from: null, to: new Date(t).toISOString() };
    const first = await r.adapter.pull!('orders', { window, cursor: null, full: true });
    expect(first.next).not.toBeNull();
    t += 10 * 60_000; // ten minutes later: a recomputed lastUpdatedBefore would make Amazon refuse the token
    const all: RawRecord[] = [...first.records];
    let cursor = first.next;
    while (cursor) {
      const page = await r.adapter.pull!('orders', { window, cursor, full: true });
      all.push(...page.records);
      cursor = page.next;
    }
    const ids = all.map((x) => x.external_id);
    expect(new Set(ids).size).toBe(ids.length);
    const expected = [...r.sim.state.orders.values()].filter((o) => o.lastUpdatedTime <= Date.parse(window.to) - 120_000).length;
    expect(ids.length).toBe(expected);
    expect(expected).toBeGreaterThan(200);
  });

  test('a run resumed after its page token expired (24 h) reads its window again from the first page, and ends', async () => {
    const window = { from: null, to: new Date(t).toISOString() };
    const first = await r.adapter.pull!('orders', { window, cursor: null, full: true });
    expect(first.next).not.toBeNull();
    t += 25 * 3_600_000;
    const refusedBefore = r.sim.requests.filter((q) => q.operation === 'searchOrders' && q.status === 400).length;
    const again = await r.adapter.pull!('orders', { window, cursor: first.next, full: true });
    expect(r.sim.requests.filter((q) => q.operation === 'searchOrders' && q.status === 400).length - refusedBefore).toBe(1);
    expect(again.records.map((x) => x.external_id)).toEqual(first.records.map((x) => x.external_id));
    const ids = new Set(again.records.map((x) => x.external_id));
    let cursor = again.next;
    while (cursor) {
      const page = await r.adapter.pull!('orders', { window, cursor, full: true });
      for (const x of page.records) ids.add(x.external_id);
      cursor = page.next;
    }
    expect(ids.size).toBe([...r.sim.state.orders.values()].filter((o) => o.lastUpdatedTime <= Date.parse(window.to) - 120_000).length);
  });

  test('lastUpdatedBefore is held two minutes behind now', async () => {
    const o = r.sim.state.placeOrder({ status: 'UNSHIPPED', items: [{ sku: 'SIM-000001', quantity: 1, unitPrice: '10.00' }] });
    const window = { from: new Date(t - 60_000).toISOString(), to: new Date(t).toISOString() };
    const now = await pullAll(r.adapter, 'orders', window);
    expect(now.records.map((x) => x.external_id)).not.toContain(o.orderId);
    t += 3 * 60_000;
    const later = await pullAll(r.adapter, 'orders', { from: window.from, to: new Date(t).toISOString() });
    expect(later.records.map((x) => x.external_id)).toContain(o.orderId);
  });

  test('a Pending order is stored without prices or address, and complete once it changes', async () => {
    const o = r.sim.state.placeOrder({ status: 'PENDING', items: [{ sku: 'SIM-000002', quantity: 2, unitPrice: '12.50' }] });
    t += 3 * 60_000;
    const from = new Date(t - 5 * 60_000).toISOString();
    const seen = (await pullAll(r.adapter, 'orders', { from, to: new Date(t).toISOString() })).records.find((x) => x.external_id === o.orderId)!;
    const pending = r.adapter.normalize!('orders', seen);
    expect(pending.status).toBe('pending');
    expect(pending.shipping_address).toBeNull();
    expect(pending.totals.total.amount).toBe('0.00');
    r.sim.state.setOrderStatus(o.orderId, 'UNSHIPPED');
    t += 3 * 60_000;
    const changed = (await pullAll(r.adapter, 'orders', { from, to: new Date(t).toISOString() })).records.find((x) => x.external_id === o.orderId)!;
    const done = r.adapter.normalize!('orders', changed);
    expect(done.status).toBe('processing');
    expect(done.shipping_address?.postal_code).toBeTruthy();
    expect(done.lines[0]!.unit_price.amount).toBe('12.50');
    expect(Number(done.totals.total.amount)).toBeGreaterThanOrEqual(25);
    expect(Date.parse(done.updated_at)).toBeGreaterThan(Date.parse(pending.updated_at));
  });

  test('an FBA order is marketplace-fulfilled with a null address, and a shipment for it is refused before anything is sent', async () => {
    const o = r.sim.state.placeOrder({ status: 'UNSHIPPED', fulfilledBy: 'AMAZON', address: null, items: [{ sku: 'SIM-000003', quantity: 1, unitPrice: '9.99' }] });
    const rec = await r.adapter.fetch!('orders', o.orderId);
    const input = r.adapter.normalize!('orders', rec!);
    expect(input.fulfillment_channel).toBe('marketplace');
    expect(input.shipping_address).toBeNull();
    const confirmsBefore = r.sim.requests.filter((q) => q.operation === 'confirmShipment').length;
    const err = await failure(r.adapter.writes!.createShipment!({ order_external_id: o.orderId, lines: [{ sku: 'SIM-000003', quantity: 1 }], carrier: 'UPS', tracking_number: 'T' }, { idempotencyKey: 'ship-afn' }));
    expect(err.kind).toBe('validation');
    expect(err.message).toMatch(/fulfilled by Amazon/);
    expect(r.sim.requests.filter((q) => q.operation === 'confirmShipment').length).toBe(confirmsBefore);
  });

  test('partial shipments: each package once, a retried package never twice, even two retries racing', async () => {
    const o = r.sim.state.placeOrder({ status: 'UNSHIPPED', items: [{ sku: 'SIM-000004', quantity: 3, unitPrice: '5.00' }] });
    const item = o.items[0]!.orderItemId;
    const ship = (key: string, quantity: number) =>
      r.adapter.writes!.createShipment!({ order_external_id: o.orderId, lines: [{ external_line_id: item, sku: 'SIM-000004', quantity }], carrier: 'UPS', tracking_number: `T-${key}` }, { idempotencyKey: key });
    const first = await ship('shp-a', 1);
    expect(first.data?.package_reference_id).toBe(packageReferenceIdOf('shp-a'));
    await ship('shp-a', 1);
    expect(r.sim.state.confirmations.get(o.orderId)?.length).toBe(1);
    expect(r.sim.state.orders.get(o.orderId)!.status).toBe('PARTIALLY_SHIPPED');
    // two attempts of one write at once: both see no package, one confirms, Amazon refuses the other as
    // already confirmed, and that one reads the order again and finds its package
    const [x, y] = await Promise.all([ship('shp-b', 2), ship('shp-b', 2)]);
    expect(x.external_id).toBe(y.external_id);
    expect(r.sim.state.confirmations.get(o.orderId)?.map((c) => c.packageReferenceId)).toEqual([packageReferenceIdOf('shp-a'), packageReferenceIdOf('shp-b')]);
    expect(r.sim.state.orders.get(o.orderId)!.status).toBe('SHIPPED');
  });
});

describe('listings, stock and prices', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ seed: { listings: 60, orders: 0, fbaInventory: 6, seed: 4 } }, { feed_threshold: 20 });
    await pullAll(r.adapter, 'products', WIDE); // learns each sku's product type, as a connection's pulls do
  });
  afterAll(() => r.sim.stop());
  const ops = (name: string) => r.sim.requests.filter((q) => q.operation === name).length;
  const mfnSkus = () => [...r.sim.state.listings.values()].filter((l) => r.sim.state.quantityOf(l.sku) !== null).map((l) => l.sku);

  test('products carry sku, asin, attributes, price and status; FBA stock is marketplace-fulfilled', async () => {
    const products = (await pullAll(r.adapter, 'products', WIDE)).records.map((x) => r.adapter.normalize!('products', x));
    const p = products.find((x) => x.external_id === 'SIM-000001')!;
    const l = r.sim.state.listings.get('SIM-000001')!;
    expect(p.identifiers.asin).toBe(l.asin);
    expect(p.product_type).toBe(l.productType);
    expect(p.prices[0]!.price.amount).toBe(r.sim.state.priceOf('SIM-000001')!.toFixed(2));
    expect(p.attributes.brand).toBe('Switchyard Sim');
    const levels = (await pullAll(r.adapter, 'inventory', WIDE)).records.map((x) => r.adapter.normalize!('inventory', x));
    const fba = levels.filter((x) => x.fulfillment_channel === 'marketplace');
    expect(fba.length).toBe(r.sim.state.fbaInventory.size);
    for (const f of fba) expect(f.available).toBe(r.sim.state.fbaInventory.get(f.sku)!.fulfillable);
    const mfn = levels.find((x) => x.sku === mfnSkus()[0])!;
    expect(mfn.fulfillment_channel).toBe('merchant');
    expect(mfn.on_hand).toBe(r.sim.state.quantityOf(mfn.sku));
  });

  test('a full pass lists every listing, also one changed after the window closed (deletion detection must not drop it)', async () => {
    const window = { from: null, to: new Date(Date.now() - 120_000).toISOString() };
    const l = r.sim.state.listings.get('SIM-000009')!;
    l.lastUpdatedDate = Date.now();
    const full = await pullAll(r.adapter, 'products', window);
    expect(full.records.map((x) => x.external_id)).toContain('SIM-000009');
    expect(full.records.length).toBe(r.sim.state.listings.size);
    const incremental = await pullAll(r.adapter, 'products', { from: new Date(Date.now() - 600_000).toISOString(), to: window.to });
    expect(incremental.records.map((x) => x.external_id)).not.toContain('SIM-000009');
  });

  test('a marketplace of another region is refused in the settings', () => {
    const parsed = amazonAdapter.settingsSchema.safeParse({ region: 'na', seller_id: 'A1', marketplace_ids: ['ATVPDKIKX0DER', 'A1PA6795UKMFR9'] });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/A1PA6795UKMFR9 \(DE\) is served by region eu/);
    // without a region, the marketplaces' region is taken
    expect(amazonAdapter.settingsSchema.parse({ seller_id: 'A1', marketplace_ids: ['A1PA6795UKMFR9', 'A13V1IB3VIYZZH'] }).region).toBe('eu');
    expect(amazonAdapter.settingsSchema.safeParse({ seller_id: 'A1', marketplace_ids: ['UNKNOWN1'] }).success).toBe(false);
  });

  test('a few stock changes go as single patches, many as one JSON_LISTINGS_FEED', async () => {
    const skus = mfnSkus();
    const before = { patch: ops('patchListingsItem'), feed: ops('createFeed') };
    const few = await r.adapter.writes!.setStockBulk!(skus.slice(0, 5).map((sku, i) => ({ sku, quantity: 500 + i })), { idempotencyKey: 'bulk-few' });
    expect(few.accepted.length).toBe(5);
    expect(ops('patchListingsItem') - before.patch).toBe(5);
    expect(ops('createFeed') - before.feed).toBe(0);
    const many = skus.slice(0, 30).map((sku, i) => ({ sku, quantity: 700 + i }));
    const bulk = await r.adapter.writes!.setStockBulk!(many, { idempotencyKey: 'bulk-many' });
    expect(ops('createFeed') - before.feed).toBe(1);
    expect(ops('patchListingsItem') - before.patch).toBe(5);
    expect(bulk.issues).toEqual([]);
    expect(bulk.accepted.sort()).toEqual(many.map((m) => m.sku).sort());
    for (const m of many) expect(r.sim.state.quantityOf(m.sku)).toBe(m.quantity);
    // the same bulk write again (a retry with its key) submits no second feed
    const again = await r.adapter.writes!.setStockBulk!(many, { idempotencyKey: 'bulk-many' });
    expect(again.external_id).toBe(bulk.external_id);
    expect(ops('createFeed') - before.feed).toBe(1);
  });

  test("the feed's processing report is mapped back to the SKU of each refused message, naming the attribute", async () => {
    const skus = mfnSkus().slice(0, 25);
    const inputs = skus.map((sku, i) => ({ sku, price: { amount: i === 7 ? '0.00' : `${20 + i}.00`, currency: 'USD' } }));
    const res = await r.adapter.writes!.updatePriceBulk!(inputs, { idempotencyKey: 'prices-1' });
    const errs = res.issues.filter((i) => i.severity === 'error');
    expect(errs.map((i) => i.sku)).toEqual([skus[7]]);
    expect(errs[0]!.attribute).toMatch(/purchasable_offer/);
    expect(res.accepted.length).toBe(24);
    expect(r.sim.state.priceOf(skus[8]!)).toBe(28);
  });

  test('a listing is validated against its product type before anything is sent; the error names the attribute', async () => {
    const before = { put: ops('putListingsItem'), ptd: ops('getDefinitionsProductType') };
    const bad = { sku: 'NEW-1', product_type: 'LUGGAGE', attributes: { item_name: [{ value: 'Case', marketplace_id: 'ATVPDKIKX0DER' }], brand: [{ value: 'B' }], condition_type: [{ value: 'new_new' }] } };
    const issues = await r.adapter.validateListing!(bad);
    expect(issues.some((i) => i.attribute === 'color' && /color/.test(i.message))).toBe(true);
    const result = await r.adapter.writes!.publishListings!([bad], { idempotencyKey: 'pub-1' });
    expect(result.accepted).toEqual([]);
    expect(result.issues.some((i) => i.attribute === 'color')).toBe(true);
    expect(ops('putListingsItem')).toBe(before.put);
    const good = { ...bad, sku: 'NEW-2', attributes: { ...bad.attributes, color: [{ value: 'Red' }] } };
    const ok = await r.adapter.writes!.publishListings!([good], { idempotencyKey: 'pub-2' });
    expect(ok.accepted).toEqual(['NEW-2']);
    expect(ops('putListingsItem') - before.put).toBe(1);
    // the definition is asked again only per (type, marketplace) and the schema compiled once per checksum
    expect(ops('getDefinitionsProductType') - before.ptd).toBe(1);
  });

  test('catalog lookup by EAN finds the ASIN; scopes are the seller\'s marketplaces', async () => {
    const l = r.sim.state.listings.get('SIM-000002')!;
    const ean = (l.attributes.externally_assigned_product_identifier![0] as { value: string }).value;
    const found = await r.adapter.lookupCatalog!({ type: 'EAN', value: ean });
    expect(found.map((f) => f.external_id)).toContain(l.asin);
    const scopes = await r.adapter.listScopes!();
    expect(scopes.map((s) => s.code)).toEqual(r.sim.marketplaceIds);
    expect(scopes[0]!.currency).toBe('USD');
  });
});
