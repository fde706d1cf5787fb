// The Magento adapter's traps, each against the Magento simulator: admin tokens renewed on 401, the last
// page repeated past the end and rows repeated across pages, error placeholders, masked 500 reports, MSI
// or legacy stock by probe, a shipment whose answer was lost after Magento created it, and an imported
// order whose totals must come back exactly.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createMagentoAdapter, magentoAdapter } from '../../src/adapters/magento/index.ts';
import { AppError } from '../../src/core/errors.ts';
import { OrderInput, ProductInput } from '../../src/core/model/index.ts';
import type { ChannelAdapter, Entity, PullWindow, RawRecord, UpstreamCall } from '../../src/core/ports.ts';
import { startMagentoSim, type MagentoSim, type MagentoSimOptions } from '../sim/magento/index.ts';
import { failure, pullRecords } from '../support/adapter-calls.ts';

let sim: MagentoSim | undefined;
afterEach(async () => {
  if (sim) expect(sim.violations).toEqual([]);
  await sim?.stop();
  sim = undefined;
});

type Adapter = ReturnType<typeof createMagentoAdapter>;

async function setup(options: MagentoSimOptions = {}, settings: Record<string, unknown> = {}, creds?: Record<string, unknown>) {
  sim = await startMagentoSim({ seed: { simples: 12, configurables: 2, orders: 20, customers: 4 }, ...options });
  const calls: UpstreamCall[] = [];
  const make = (c: Record<string, unknown> = creds ?? { type: 'oauth1', ...sim!.credentials.oauth1 }, more: Record<string, unknown> = {}): Adapter =>
    createMagentoAdapter({
      connectionId: 'con_test',
      tenantId: 'ten_test',
      settings: magentoAdapter.settingsSchema.parse({ base_url: sim!.url, ...settings, ...more }),
      credentials: magentoAdapter.credentialsSchema.parse(c),
      allowPrivateUpstreams: true,
      onUpstreamCall: (call) => calls.push(call),
    });
  return { sim, adapter: make(), make, calls };
}

const pageOf = (path: string) => Number(/searchCriteria%5BcurrentPage%5D=(\d+)/.exec(path)?.[1] ?? /searchCriteria\[currentPage\]=(\d+)/.exec(path)?.[1] ?? NaN);

describe('auth', () => {
  test('admin username/password: the token is fetched once, cached, and renewed once when Magento answers 401', async () => {
    const { sim, make } = await setup({}, {}, undefined);
    const adapter = make({ type: 'admin', ...sim.credentials.admin });
    await adapter.testConnection();
    await pullRecords(adapter, 'customers');
    const tokenCalls = () => sim.requests.filter((r) => r.path.includes('/V1/integration/admin/token')).length;
    expect(tokenCalls()).toBe(1);
    sim.faults.expireTokens();
    expect((await pullRecords(adapter, 'customers')).length).toBe(sim.state.customers.length);
    expect(tokenCalls()).toBe(2);
  });

  test('wrong admin password, expired bearer token, bad OAuth signature: auth_failed, not retriable', async () => {
    const { sim, make } = await setup();
    const wrong = await failure(make({ type: 'admin', username: sim.credentials.admin.username, password: 'nope' }).testConnection());
    expect(wrong.kind).toBe('auth_failed');
    const bearer = make({ type: 'bearer', token: sim.credentials.bearer });
    await bearer.testConnection();
    sim.faults.expireTokens();
    const expired = await failure(bearer.testConnection());
    expect([expired.kind, expired.retriable]).toEqual(['auth_failed', false]);
    const bad = await failure(make({ type: 'oauth1', ...sim.credentials.oauth1, consumer_secret: 'x' }).testConnection());
    expect(bad.kind).toBe('auth_failed');
  });

  test('an integration token used as Bearer is refused (Magento >= 2.4.4): auth_failed with the reason', async () => {
    const { sim, make } = await setup();
    const err = await failure(make({ type: 'bearer', token: sim.credentials.oauth1.access_token }).testConnection());
    expect(err.kind).toBe('auth_failed');
    expect(err.message).toMatch(/401/);
  });

  test('OAuth 1.0a with twelve filter groups is accepted by the store (natural-order signature)', async () => {
    const { adapter, sim } = await setup();
    const groups = Array.from({ length: 12 }, (_, g) => [{ field: 'sku', value: `NOPE-${g}`, condition: 'neq' }]);
    const { searchQuery } = await import('../../src/adapters/magento/client.ts');
    const res = await adapter.client.request<{ total_count: number }>({ method: 'GET', path: '/V1/products', query: searchQuery({ groups, pageSize: 1, currentPage: 1 }) });
    expect(res.total_count).toBe(sim.state.products.length);
  });
});

describe('paging', () => {
  test('paging ends on total_count although Magento repeats the last page; rows repeated across pages are returned once', async () => {
    const { sim, adapter } = await setup({ seed: { simples: 50, configurables: 3, orders: 61, customers: 2 } }, { page_size: 7, page_concurrency: 3 });
    sim.faults.repeatLastPage(true);
    sim.faults.duplicateAcrossPages(true);
    const before = sim.requests.length;
    const orders = await pullRecords(adapter, 'orders');
    const ids = orders.map((r) => r.external_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(sim.state.orders.map((o) => String(o.entity_id)).sort());
    const listed = sim.requests.slice(before).filter((r) => r.template === '/V1/orders' && r.method === 'GET');
    const lastPage = Math.ceil(sim.state.orders.length / 7);
    expect(Math.max(...listed.map((r) => pageOf(r.path)))).toBe(lastPage);
    expect(listed.length).toBe(lastPage);
  });

  test('a row updated while paging (leaving the window) does not make a later row skip', async () => {
    const { sim, adapter } = await setup({ seed: { simples: 40, configurables: 0, orders: 1 } }, { page_size: 5, page_concurrency: 1 });
    const first = await adapter.pull!('products', { window: { from: null, to: new Date(Date.now() + 60_000).toISOString() }, cursor: null, full: true });
    // Product 2 (on page 1, already read) is updated: later rows move up one place.
    const p = sim.state.products[1]!;
    p.updated_at = Date.now() + 3_600_000;
    const seen = new Set(first.records.map((r) => r.external_id));
    let cursor = first.next;
    while (cursor) {
      const page = await adapter.pull!('products', { window: { from: null, to: new Date(Date.now() + 60_000).toISOString() }, cursor, full: true });
      for (const r of page.records) seen.add(r.external_id);
      cursor = page.next;
    }
    expect([...seen].sort()).toEqual(sim.state.products.map((x) => x.sku).sort());
  });

  test('an incremental window reads only rows updated inside it', async () => {
    const { sim, adapter } = await setup();
    const o = sim.state.orders[3]!;
    o.updated_at = Date.UTC(2030, 0, 1);
    const recs = await pullRecords(adapter, 'orders', { from: '2029-12-31T00:00:00.000Z', to: '2030-01-02T00:00:00.000Z' });
    expect(recs.map((r) => r.external_id)).toEqual([String(o.entity_id)]);
    expect(recs[0]!.updated_at).toBe('2030-01-01T00:00:00.000Z');
  });
});

describe('errors', () => {
  test('400 with parameters: the placeholders are filled in, kind validation, not retriable', async () => {
    const { adapter } = await setup();
    const err = await failure(adapter.client.request({ method: 'POST', path: '/V1/orders', body: { entity: { items: [] } } }));
    expect(err.kind).toBe('validation');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('"customer_email" is required');
    expect(err.message).not.toContain('%fieldName');
  });

  test("production's masked 500 keeps its report id; 503, timeouts, resets and malformed JSON are upstream_unavailable", async () => {
    const { sim, adapter } = await setup({}, { timeout_ms: 300 });
    sim.faults.failNext(500, 1);
    const masked = await failure(adapter.testConnection());
    expect([masked.kind, masked.retriable]).toEqual(['upstream_unavailable', true]);
    expect(masked.message).toMatch(/Report ID: webapi-\w+/);
    for (const inject of [() => sim.faults.failNext(503, 1), () => sim.faults.timeoutNext(1), () => sim.faults.dropNext(1), () => sim.faults.malformedNext(1)]) {
      inject();
      const err = await failure(adapter.testConnection());
      expect([err.kind, err.retriable]).toEqual(['upstream_unavailable', true]);
    }
    sim.faults.clear();
    await adapter.testConnection();
  });

  test('429 with Retry-After: throttled with the wait, and the bucket is held for it', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
      res.end(JSON.stringify({ message: 'Too many requests' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const penalties: [string, number][] = [];
    try {
      const adapter = createMagentoAdapter({
        connectionId: 'c',
        tenantId: 't',
        settings: magentoAdapter.settingsSchema.parse({ base_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
        credentials: magentoAdapter.credentialsSchema.parse({ type: 'bearer', token: 'x' }),
        allowPrivateUpstreams: true,
        throttle: { acquire: async () => undefined, learn: async () => undefined, penalize: async (key, ms) => void penalties.push([key, ms]), refund: async () => undefined },
      });
      const err = await failure(adapter.testConnection());
      expect([err.kind, err.retryAfterMs, err.retriable]).toEqual(['throttled', 3000, true]);
      expect(penalties).toEqual([[expect.stringMatching(/^magento:[0-9a-f]{16}:GET \/V1\/store\/storeViews$/), 3000]]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('404 is not_found; fetch of a missing record is null', async () => {
    const { adapter } = await setup();
    expect((await failure(adapter.client.request({ method: 'GET', path: '/V1/orders/999999' }))).kind).toBe('not_found');
    expect(await adapter.fetch!('orders', '999999')).toBeNull();
    expect(await adapter.fetch!('products', 'NO-SUCH-SKU')).toBeNull();
  });
});

describe('single reads', () => {
  test('fetch reads one shipment, customer, category and stock level as the pull would', async () => {
    const { sim, adapter } = await setup();
    const sh = sim.state.shipments[0]!;
    const shipment = adapter.normalize!('shipments', (await adapter.fetch!('shipments', String(sh.entity_id)))!);
    expect(shipment).toMatchObject({ external_id: String(sh.entity_id), order_external_id: String(sh.order_id) });
    const c = sim.state.customers[0]!;
    expect(adapter.normalize!('customers', (await adapter.fetch!('customers', String(c.id)))!)).toMatchObject({ external_id: String(c.id), email: c.email });
    const cat = sim.state.categories.find((x) => x.level === 3) ?? sim.state.categories[2]!;
    const category = adapter.normalize!('categories', (await adapter.fetch!('categories', String(cat.id)))!);
    expect(category.name).toBe(cat.name);
    expect(category.path[category.path.length - 1]).toBe(cat.name);
    expect(category.path[0]).toBe('Default Category');
    const sku = sim.state.products.find((p) => p.type_id === 'simple')!.sku;
    const level = adapter.normalize!('inventory', (await adapter.fetch!('inventory', `${sku}@default`))!);
    expect(level).toMatchObject({ sku, location_id: 'default', on_hand: sim.state.sourceItem(sku, 'default')!.quantity });
    expect(await adapter.fetch!('inventory', `${sku}@nowhere`)).toBeNull();
  });
});

describe('catalog and scopes', () => {
  test('a configurable product comes with its children as variants, option labels and media; children also stand alone', async () => {
    const { sim, adapter } = await setup({}, { page_size: 4 });
    const recs = await pullRecords(adapter, 'products');
    expect(recs.length).toBe(sim.state.products.length);
    const parent = sim.state.products.find((p) => p.type_id === 'configurable')!;
    const rec = recs.find((r) => r.external_id === parent.sku)!;
    const p = ProductInput.parse(adapter.normalize!('products', rec));
    expect(p.product_type).toBe('configurable');
    expect(p.variants.map((v) => v.sku).sort()).toEqual(parent.children.map((id) => sim.state.productsById.get(id)!.sku).sort());
    for (const v of p.variants) {
      const child = sim.state.product(v.sku)!;
      expect(v.prices[0]!.price).toEqual({ amount: child.price.toFixed(2), currency: 'USD' });
      expect(Object.keys(v.options).sort()).toEqual(['Color', 'Size']);
      expect(['Red', 'Blue', 'Green', 'Black']).toContain(v.options.Color);
    }
    expect(p.options.map((o) => o.name).sort()).toEqual(['Color', 'Size']);
    expect(p.images[0]!.url).toMatch(/\/catalog\/product\/.+\.jpg$/);
    // The same record again through fetch
    const again = await adapter.fetch!('products', parent.sku);
    expect(ProductInput.parse(adapter.normalize!('products', again!)).variants.length).toBe(parent.children.length);
    // Children are products of their own too.
    expect(recs.map((r) => r.external_id)).toContain(p.variants[0]!.sku);
  });

  test('a child changed alone brings its configurable along, with the new variant; prices of other store views in website scope', async () => {
    const { sim, adapter } = await setup({ priceScope: 'website' }, { store_view_prices: ['de'] });
    const parent = sim.state.products.find((p) => p.type_id === 'configurable')!;
    const child = sim.state.productsById.get(parent.children[1]!)!;
    sim.state.setWebsitePrice(child.sku, 'eu', 9.5, Date.UTC(2030, 0, 1));
    child.name = 'Renamed child';
    const recs = await pullRecords(adapter, 'products', { from: '2029-12-31T00:00:00.000Z', to: '2030-01-02T00:00:00.000Z' });
    expect(recs.map((r) => r.external_id).sort()).toEqual([parent.sku, child.sku].sort());
    const p = ProductInput.parse(adapter.normalize!('products', recs.find((r) => r.external_id === parent.sku)!));
    const v = p.variants.find((x) => x.sku === child.sku)!;
    expect(v.title).toBe('Renamed child');
    expect(v.prices).toEqual([
      { price: { amount: child.price.toFixed(2), currency: 'USD' }, sale_price: null },
      { marketplace_id: 'de', price: { amount: '9.50', currency: 'EUR' }, sale_price: null },
    ]);
  });

  test('listScopes: store views with website code, currency and locale', async () => {
    const { adapter } = await setup();
    const scopes = await adapter.listScopes!();
    expect(scopes).toEqual([
      { code: 'default', name: 'Default Store View', parent_code: 'base', currency: 'USD', locale: 'en_US' },
      { code: 'de', name: 'German Store View', parent_code: 'eu', currency: 'EUR', locale: 'de_DE' },
    ]);
  });

  test('store scoping: reads use /rest/<store_code>/, product writes go to /rest/all/', async () => {
    const { sim, make } = await setup();
    const de = make(undefined, { store_code: 'de' });
    const sku = sim.state.products[0]!.sku;
    const before = sim.requests.length;
    const rec = await de.fetch!('products', sku);
    expect(ProductInput.parse(de.normalize!('products', rec!)).title).toContain('(DE)');
    await de.writes!.updateProduct!({ sku, fields: { title: 'Renamed everywhere' } }, { idempotencyKey: 'k1' });
    const paths = sim.requests.slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(paths).toContain(`GET /rest/de/V1/products/${sku}`);
    expect(paths).toContain(`PUT /rest/all/V1/products/${sku}`);
    expect(sim.state.product(sku)!.name).toBe('Renamed everywhere');
  });
});

describe('stock: MSI or legacy, by probe', () => {
  test('MSI: source items with the reservations of placed orders; setStock writes source items once under retries', async () => {
    const { sim, adapter } = await setup({ msi: true });
    // Two units of the first simple are reserved by an order placed and not yet shipped.
    const reservedSku = sim.state.products.find((p) => p.type_id === 'simple' && (sim!.state.sourceItem(p.sku, 'default')?.quantity ?? 0) > 2)!.sku;
    sim.state.reserve(reservedSku, 1, -2, 'test order');
    const recs = await pullRecords(adapter, 'inventory');
    const levels = recs.map((r) => adapter.normalize!('inventory', r));
    const reserved = levels.filter((l) => l.reserved > 0);
    expect(reserved.map((l) => [l.sku, l.reserved])).toContainEqual([reservedSku, 2]);
    for (const l of levels) expect(l.available).toBe(Math.round(sim.state.salable(l.sku, 1)));
    const sku = levels[0]!.sku;
    const w = { idempotencyKey: 'stock-1' };
    await adapter.writes!.setStock!({ sku, quantity: 77, location_id: 'default' }, w);
    await adapter.writes!.setStock!({ sku, quantity: 77, location_id: 'default' }, w);
    expect(sim.state.stockWrites.get(`${sku}@default`)).toBe(1);
    expect(sim.state.sourceItem(sku, 'default')!.quantity).toBe(77);
    const bulk = await adapter.writes!.setStockBulk!(
      levels.slice(0, 5).map((l, i) => ({ sku: l.sku, quantity: 10 + i, location_id: 'default' })),
      { idempotencyKey: 'bulk-1' },
    );
    expect(bulk.accepted.length).toBe(5);
    expect(sim.requests.filter((r) => r.method === 'POST' && r.template === '/V1/inventory/source-items').length).toBe(2);
  });

  test('legacy (no MSI): the probe falls back to stock items for reads and writes', async () => {
    const { sim, adapter } = await setup({ msi: false });
    const recs = await pullRecords(adapter, 'inventory');
    const simples = sim.state.products.filter((p) => p.type_id === 'simple');
    expect(recs.length).toBe(simples.length);
    const l = adapter.normalize!('inventory', recs[0]!);
    expect(l.location_id).toBe('default');
    expect(l.on_hand).toBe(sim.state.legacyQty(l.sku));
    await adapter.writes!.setStock!({ sku: l.sku, quantity: 5 }, { idempotencyKey: 'legacy-1' });
    await adapter.writes!.setStock!({ sku: l.sku, quantity: 5 }, { idempotencyKey: 'legacy-1' });
    expect(sim.state.legacyQty(l.sku)).toBe(5);
    expect(sim.state.stockWrites.get(`${l.sku}@default`)).toBe(1);
    expect(sim.requests.some((r) => r.template === '/V1/products/{productSku}/stockItems/{itemId}')).toBe(true);
    expect(sim.requests.some((r) => r.path.includes('/V1/inventory/source-items'))).toBe(false);
  });
});

/** A proxy that forwards to the simulator and, for matching requests, drops the answer after the store acted. */
async function lossyProxy(target: string, match: (method: string, path: string) => boolean): Promise<{ url: string; dropped: number; close(): Promise<void> }> {
  const state = { dropped: 0, armed: true };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const up = await fetch(target + req.url, { method: req.method, headers: req.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const body = Buffer.from(await up.arrayBuffer());
      if (state.armed && match(req.method ?? '', req.url ?? '')) {
        state.armed = false;
        state.dropped++;
        req.socket.destroy();
        return;
      }
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get dropped() {
      return state.dropped;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('writes', () => {
  test('a shipment whose answer is lost after Magento created it is found by its marker on retry: one shipment', async () => {
    const { sim } = await setup();
    const order = sim.state.orders.find((o) => o.state === 'processing' && o.items.some((i) => i.parent_item_id === null && i.qty_ordered - i.qty_shipped > 0))!;
    const line = order.items.find((i) => i.parent_item_id === null && i.qty_ordered - i.qty_shipped > 0)!;
    const proxy = await lossyProxy(sim.url, (m, p) => m === 'POST' && p.includes('/ship'));
    try {
      // The OAuth signature covers the proxy's URL, which the store sees as its own host and port.
      const adapter = createMagentoAdapter({
        connectionId: 'c',
        tenantId: 't',
        settings: magentoAdapter.settingsSchema.parse({ base_url: proxy.url }),
        credentials: magentoAdapter.credentialsSchema.parse({ type: 'bearer', token: sim.credentials.bearer }),
        allowPrivateUpstreams: true,
      });
      const before = sim.state.shipments.filter((s) => s.order_id === order.entity_id).length;
      const input = { order_external_id: String(order.entity_id), lines: [{ external_line_id: String(line.item_id), sku: line.sku, quantity: 1 }], carrier: 'UPS', tracking_number: '1Z999' };
      const w = { idempotencyKey: 'confirm-shipment:shp_1' };
      const lost = await failure(adapter.writes!.createShipment!(input, w));
      expect(lost.kind).toBe('upstream_unavailable');
      expect(proxy.dropped).toBe(1);
      const again = await adapter.writes!.createShipment!(input, w);
      const mine = sim.state.shipments.filter((s) => s.order_id === order.entity_id);
      expect(mine.length - before).toBe(1);
      expect(again.external_id).toBe(String(mine[mine.length - 1]!.entity_id));
      expect(again.data).toMatchObject({ existing: true });
      expect(mine[mine.length - 1]!.tracks[0]).toMatchObject({ track_number: '1Z999', carrier_code: 'ups' });
    } finally {
      await proxy.close();
    }
  });

  test('createOrder keeps the source channel totals exactly and is idempotent by ext_order_id', async () => {
    const { sim, adapter } = await setup();
    const skus = sim.state.products.filter((p) => p.type_id === 'simple').slice(0, 2).map((p) => p.sku);
    const m = (amount: string) => ({ amount, currency: 'EUR' });
    const input = OrderInput.parse({
      external_id: 'amz-1',
      order_number: '302-1234567-1234567',
      marketplace_id: 'A1PA6795UKMFR9',
      status: 'processing',
      channel_status: 'Unshipped',
      fulfillment_channel: 'merchant',
      currency: 'EUR',
      totals: { subtotal: m('33.57'), shipping: m('4.99'), tax: m('7.33'), discount: m('1.11'), total: m('44.78') },
      billing_address: { name: 'Erika Mustermann', line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE', phone: '+49301234' },
      shipping_address: { name: 'Erika Mustermann', line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' },
      customer: { external_id: null, email: 'erika@example.com', name: 'Erika Mustermann' },
      lines: [
        { external_id: 'l1', sku: skus[0], title: 'One', quantity: 2, quantity_shipped: 0, quantity_canceled: 0, unit_price: m('11.19'), tax: m('4.25'), discount: m('1.11'), total: m('22.38') },
        { external_id: 'l2', sku: skus[1], title: 'Two', quantity: 1, quantity_shipped: 0, quantity_canceled: 0, unit_price: m('11.19'), tax: m('3.08'), discount: m('0.00'), total: m('11.19') },
      ],
      placed_at: '2026-11-01T10:00:00.000Z',
      created_at: '2026-11-01T10:00:00.000Z',
      updated_at: '2026-11-01T10:00:00.000Z',
    });
    const w = { idempotencyKey: 'import-order:amz-1' };
    const count = sim.state.orders.length;
    const first = await adapter.writes!.createOrder!(input, w);
    const second = await adapter.writes!.createOrder!(input, w);
    expect(second.external_id).toBe(first.external_id);
    expect(sim.state.orders.length).toBe(count + 1);
    const back = adapter.normalize!('orders', (await adapter.fetch!('orders', first.external_id!))!);
    expect(back.currency).toBe('EUR');
    expect(back.totals).toEqual(input.totals);
    expect(back.lines.map((l) => [l.sku, l.quantity, l.unit_price, l.tax, l.discount, l.total])).toEqual(input.lines.map((l) => [l.sku, l.quantity, l.unit_price, l.tax, l.discount, l.total]));
    expect(back.shipping_address).toMatchObject({ name: 'Erika Mustermann', city: 'Berlin', country: 'DE' });
  });

  test('cancelOrder and addOrderComment act once under retries', async () => {
    const { sim, adapter } = await setup();
    const o = sim.state.orders.find((x) => x.state === 'new' || x.state === 'processing')!;
    const w = { idempotencyKey: 'cancel-1' };
    await adapter.writes!.cancelOrder!({ order_external_id: String(o.entity_id) }, w);
    await adapter.writes!.cancelOrder!({ order_external_id: String(o.entity_id) }, w);
    expect(sim.state.ordersById.get(o.entity_id)!.state).toBe('canceled');
    const c = { idempotencyKey: 'comment-1' };
    await adapter.writes!.addOrderComment!({ order_external_id: String(o.entity_id), comment: 'Hello' }, c);
    await adapter.writes!.addOrderComment!({ order_external_id: String(o.entity_id), comment: 'Hello' }, c);
    expect(sim.state.comments.filter((x) => x.comment.startsWith('Hello')).length).toBe(1);
  });

  test('updatePrice and updatePriceBulk write base prices in the store currency; a foreign currency is refused', async () => {
    const { sim, adapter } = await setup();
    const [a, b] = sim.state.products.filter((p) => p.type_id === 'simple');
    await adapter.writes!.updatePrice!({ sku: a!.sku, price: { amount: '12.34', currency: 'USD' } }, { idempotencyKey: 'p1' });
    expect(sim.state.product(a!.sku)!.price).toBe(12.34);
    const err = await failure(adapter.writes!.updatePrice!({ sku: a!.sku, price: { amount: '1.00', currency: 'EUR' } }, { idempotencyKey: 'p2' }));
    expect(err.kind).toBe('validation');
    const bulk = await adapter.writes!.updatePriceBulk!([{ sku: b!.sku, price: { amount: '9.99', currency: 'USD' } }], { idempotencyKey: 'p3' });
    expect(bulk.accepted).toEqual([b!.sku]);
    expect(sim.state.product(b!.sku)!.price).toBe(9.99);
  });
});
