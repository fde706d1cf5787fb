// The read routes' happy paths through the real app: lists with every filter and sort, detail routes,
// sparse fields, raw payloads on request only, and the store's upsert guarantees as the API shows them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertCategories, upsertProducts } from '../src/store/catalog.ts';
import { upsertInventory } from '../src/store/inventory.ts';
import { upsertCustomers, upsertOrders, upsertShipments } from '../src/store/orders.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { categoryInput, rawOf, seedDataset, type Dataset } from './support/fixtures.ts';
import { ok, problem } from './support/http.ts';
import { customerInput, inventoryInput, orderInput, productInput, shipmentInput } from './support/seed.ts';

let gw: TestGateway;
let ds: Dataset;
beforeAll(async () => {
  gw = await startGateway();
  ds = await seedDataset(gw.tdb.db, gw.a.id);
});
afterAll(async () => gw?.close());

type Page<T = any> = { data: T[]; next_cursor: string | null };
const list = (path: string) => ok<Page>(gw.call(path));
const numbers = (p: Page) => p.data.map((o) => o.order_number);
const orderNo = (i: number) => `10000${i}`;

describe('GET /v1/orders', () => {
  test('lists every order of the tenant, newest upstream creation first, with lines and exact money', async () => {
    const page = await list('/v1/orders');
    expect(numbers(page)).toEqual([103, 102, 101, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map(orderNo));
    expect(page.next_cursor).toBeNull();
    const o1 = page.data.find((o) => o.external_id === 'EXT-1');
    expect(o1).toMatchObject({
      connection_id: ds.con1.id,
      channel: 'scripted',
      status: 'processing',
      channel_status: 'processing',
      fulfillment_channel: 'merchant',
      currency: 'EUR',
      totals: { subtotal: { amount: '30.00', currency: 'EUR' }, shipping: { amount: '4.90', currency: 'EUR' }, total: { amount: '34.90', currency: 'EUR' } },
      created_at: '2026-01-01T00:00:01.000Z',
      placed_at: '2026-01-01T00:00:01.000Z',
      shipping_address: { city: 'Berlin', country: 'DE' },
    });
    expect(o1.id).toMatch(/^ord_[0-9A-Z]{26}$/);
    expect(o1.lines.map((l: any) => [l.external_id, l.sku, l.unit_price])).toEqual([
      ['L-1-0', 'SKU-1', { amount: '10.00', currency: 'EUR' }],
      ['L-1-1', 'SKU-2', { amount: '10.00', currency: 'EUR' }],
      ['L-1-2', 'SKU-3', { amount: '10.00', currency: 'EUR' }],
    ]);
  });

  test('order lines are linked to the product variant of the same connection with their SKU', async () => {
    const products = await list(`/v1/products?sku=SKU-2`);
    const [line] = (await list('/v1/orders?sku=SKU-2&connection_id=' + ds.con1.id)).data.find((o) => o.external_id === 'EXT-1').lines.filter((l: any) => l.sku === 'SKU-2');
    expect(line.product_id).toBe(products.data[0].id);
    expect(line.variant_id).toBe(products.data[0].variants[0].id);
  });

  test('filters by connection, channel, status and fulfillment channel', async () => {
    expect(numbers(await list(`/v1/orders?connection_id=${ds.con2.id}`))).toEqual([103, 102, 101].map(orderNo));
    expect(numbers(await list('/v1/orders?channel=scripted&sort=created_at'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(orderNo));
    expect(numbers(await list('/v1/orders?status=shipped'))).toEqual([10, 5].map(orderNo));
    expect(numbers(await list('/v1/orders?fulfillment_channel=marketplace'))).toEqual([103, 102, 101].map(orderNo));
    expect(numbers(await list(`/v1/orders?connection_id=${ds.con1.id}&status=pending`))).toEqual([]);
  });

  test('created_from is inclusive and created_to exclusive; updated_* filter on the upstream update time', async () => {
    const from = '2026-01-01T00:00:03Z';
    const to = '2026-01-01T00:00:06.000Z';
    expect(numbers(await list(`/v1/orders?created_from=${from}&created_to=${to}&sort=created_at`))).toEqual([3, 4, 5].map(orderNo));
    expect(numbers(await list(`/v1/orders?updated_from=${from}&updated_to=${to}&sort=updated_at`))).toEqual([3, 4, 5].map(orderNo));
    expect(numbers(await list(`/v1/orders?updated_from=2026-01-01T00:01:42%2B00:00`))).toEqual([103, 102].map(orderNo));
    expect(numbers(await list(`/v1/orders?created_from=2026-01-02`))).toEqual([]);
    expect(numbers(await list(`/v1/orders?created_to=2026-01-01`))).toEqual([]);
  });

  test('a date without a time means midnight UTC, whatever time zone the database session uses', async () => {
    // 2026-01-01T00:00:05Z is still 2025-12-31 in New York: a filter read in local time would miss it.
    const url = new URL(gw.tdb.url);
    url.searchParams.set('options', '-c TimeZone=America/New_York');
    const { createPool, createDb } = await import('../src/store/db.ts');
    const { createApp } = await import('../src/api/app.ts');
    const { AdapterRegistry } = await import('../src/adapters/registry.ts');
    const { createLogger } = await import('../src/log.ts');
    const { testBox } = await import('./support/seed.ts');
    const db = createDb(createPool(url.toString(), { max: 2 }));
    try {
      const app = createApp({ db, box: testBox, registry: new AdapterRegistry([]), log: createLogger('silent'), allowPrivateUpstreams: true, engine: gw.engine });
      const res = await app.request(`/v1/orders?created_from=2026-01-01&created_to=2026-01-01T00:00:03Z&channel=scripted`, { headers: { authorization: `Bearer ${gw.a.key}` } });
      expect(numbers(await ok(res))).toEqual([2, 1].map(orderNo));
    } finally {
      await db.destroy();
    }
  });

  test('filters by line SKU and by linked customer', async () => {
    // Lines of order i carry SKU-i, SKU-(i+1), SKU-(i+2).
    expect(numbers(await list(`/v1/orders?sku=SKU-3&connection_id=${ds.con1.id}&sort=created_at`))).toEqual([1, 2, 3].map(orderNo));
    expect(numbers(await list('/v1/orders?sku=NOPE'))).toEqual([]);
    const customers = await list(`/v1/customers?email=CUSTOMER2@example.com`);
    expect(customers.data).toHaveLength(1);
    expect(numbers(await list(`/v1/orders?customer_id=${customers.data[0].id}`))).toEqual([orderNo(2)]);
  });

  test('every sort orders the page and breaks no ties', async () => {
    expect(numbers(await list('/v1/orders?channel=other&sort=created_at'))).toEqual([101, 102, 103].map(orderNo));
    expect(numbers(await list('/v1/orders?channel=other&sort=-created_at'))).toEqual([103, 102, 101].map(orderNo));
    expect(numbers(await list('/v1/orders?channel=other&sort=updated_at'))).toEqual([101, 102, 103].map(orderNo));
    expect(numbers(await list('/v1/orders?channel=other&sort=-updated_at'))).toEqual([103, 102, 101].map(orderNo));
  });

  test('limit cuts pages and next_cursor continues them', async () => {
    const first = await list('/v1/orders?limit=5&sort=created_at');
    expect(numbers(first)).toEqual([1, 2, 3, 4, 5].map(orderNo));
    const second = await list(`/v1/orders?limit=5&sort=created_at&cursor=${first.next_cursor}`);
    expect(numbers(second)).toEqual([6, 7, 8, 9, 10].map(orderNo));
    const third = await list(`/v1/orders?limit=5&sort=created_at&cursor=${second.next_cursor}`);
    expect(numbers(third)).toEqual([101, 102, 103].map(orderNo));
    expect(third.next_cursor).toBeNull();
  });

  test('fields= returns only the asked fields, and always the id', async () => {
    const page = await list('/v1/orders?fields=status,totals&limit=2');
    for (const o of page.data) expect(Object.keys(o).sort()).toEqual(['id', 'status', 'totals']);
    const ids = await list('/v1/orders?fields=id&limit=2');
    for (const o of ids.data) expect(Object.keys(o)).toEqual(['id']);
  });

  test('an unknown field in fields= is a 400 naming it', async () => {
    const p = await problem(gw.call('/v1/orders?fields=status,password'), 400, { type: 'validation', paths: ['fields'] });
    expect(p.errors![0].message).toContain('"password"');
  });

  test('list responses never carry the raw payload', async () => {
    const res = await gw.call('/v1/orders');
    const text = await res.text();
    expect(text).not.toContain('raw-order');
    expect(JSON.parse(text).data.every((o: object) => !('raw' in o))).toBe(true);
    await problem(gw.call('/v1/orders?include=raw'), 400, { paths: ['include'] });
  });
});

describe('GET /v1/orders/{id}', () => {
  test('embeds lines and shipments, and no raw payload by default', async () => {
    const [summary] = (await list(`/v1/orders?connection_id=${ds.con1.id}&sort=created_at&limit=1`)).data;
    const order = await ok(gw.call(`/v1/orders/${summary.id}`));
    expect(order).toMatchObject({ id: summary.id, external_id: 'EXT-1', order_number: orderNo(1) });
    expect(order.lines).toEqual(summary.lines);
    expect('raw' in order).toBe(false);
    expect(order.shipments).toHaveLength(1);
    expect(order.shipments[0]).toMatchObject({
      order_id: summary.id,
      external_id: 'S-1-0',
      carrier: 'DHL',
      tracking_number: '0034043410',
      lines: [{ order_line_id: summary.lines[0].id, external_line_id: 'L-1-0', sku: 'SKU-1', quantity: 1 }],
    });
    expect('raw' in order.shipments[0]).toBe(false);
  });

  test('include=raw returns the upstream payload as stored', async () => {
    const [summary] = (await list(`/v1/orders?connection_id=${ds.con1.id}&sort=created_at&limit=1`)).data;
    const order = await ok(gw.call(`/v1/orders/${summary.id}?include=raw`));
    expect(order.raw).toEqual(rawOf('order', 'EXT-1'));
    const sparse = await ok(gw.call(`/v1/orders/${summary.id}?include=raw&fields=raw,status`));
    expect(sparse).toEqual({ id: summary.id, status: 'processing', raw: rawOf('order', 'EXT-1') });
  });

  test('fields= works on the detail route too', async () => {
    const [summary] = (await list('/v1/orders?limit=1')).data;
    expect(await ok(gw.call(`/v1/orders/${summary.id}?fields=order_number,shipments`))).toEqual({ id: summary.id, order_number: summary.order_number, shipments: [] });
    await problem(gw.call(`/v1/orders/${summary.id}?fields=nope`), 400, { paths: ['fields'] });
  });
});

describe('GET /v1/shipments', () => {
  test('lists shipments and finds one by id, raw only on request', async () => {
    const page = await list('/v1/shipments');
    expect(page.data).toHaveLength(1);
    const s = page.data[0];
    expect(s).toMatchObject({ external_id: 'S-1-0', connection_id: ds.con1.id, channel: 'scripted', shipped_at: '2026-01-01T00:01:01.000Z' });
    expect('raw' in s).toBe(false);
    const one = await ok(gw.call(`/v1/shipments/${s.id}`));
    expect(one).toEqual(s);
    expect((await ok(gw.call(`/v1/shipments/${s.id}?include=raw`))).raw).toEqual(rawOf('shipment', 'S-1-0'));
    expect(await ok(gw.call(`/v1/shipments/${s.id}?fields=carrier`))).toEqual({ id: s.id, carrier: 'DHL' });
  });

  test('filters by order and connection', async () => {
    const s = (await list('/v1/shipments')).data[0];
    expect((await list(`/v1/shipments?order_id=${s.order_id}`)).data.map((x) => x.id)).toEqual([s.id]);
    expect((await list(`/v1/shipments?connection_id=${ds.con2.id}`)).data).toEqual([]);
    expect((await list(`/v1/shipments?fields=tracking_number`)).data).toEqual([{ id: s.id, tracking_number: '0034043410' }]);
  });
});

describe('GET /v1/products', () => {
  test('lists products with their variants in position order', async () => {
    const page = await list('/v1/products?sort=created_at');
    expect(page.data.map((p) => p.external_id)).toEqual(['P-1', 'P-2', 'P-3', 'P-4', 'P-101']);
    const p1 = page.data[0];
    expect(p1).toMatchObject({ title: 'Product 1', status: 'active', brand: 'Acme', identifiers: { sku: 'PARENT-1' }, prices: [{ price: { amount: '10.00', currency: 'EUR' } }] });
    expect(p1.variants.map((v: any) => [v.sku, v.position, v.options, v.product_id])).toEqual([
      ['SKU-1-0', 0, { size: 'S0' }, p1.id],
      ['SKU-1-1', 1, { size: 'S1' }, p1.id],
      ['SKU-1-2', 2, { size: 'S2' }, p1.id],
    ]);
    expect(page.data.every((p) => !('raw' in p))).toBe(true);
  });

  test("sku matches the product's own or a variant's SKU; status and channel filter", async () => {
    expect((await list('/v1/products?sku=SKU-1-2')).data.map((p) => p.external_id)).toEqual(['P-1']);
    expect((await list('/v1/products?sku=PARENT-1')).data.map((p) => p.external_id)).toEqual(['P-1']);
    expect((await list('/v1/products?status=inactive')).data.map((p) => p.external_id)).toEqual(['P-4']);
    expect((await list('/v1/products?channel=other')).data.map((p) => p.external_id)).toEqual(['P-101']);
    expect((await list('/v1/products?fields=title&limit=1&sort=created_at')).data).toEqual([{ id: expect.any(String), title: 'Product 1' }]);
  });

  test('GET /v1/products/{id} returns the product; include=raw adds its payload', async () => {
    const p2 = (await list('/v1/products?sku=SKU-2')).data[0];
    const one = await ok(gw.call(`/v1/products/${p2.id}`));
    expect(one).toEqual(p2);
    expect((await ok(gw.call(`/v1/products/${p2.id}?include=raw`))).raw).toEqual(rawOf('product', 'P-2'));
    expect(await ok(gw.call(`/v1/products/${p2.id}?fields=brand`))).toEqual({ id: p2.id, brand: 'Acme' });
  });
});

describe('GET /v1/customers', () => {
  test('lists customers and finds one by id, raw only on request', async () => {
    const page = await list('/v1/customers?sort=created_at');
    expect(page.data.map((c) => c.external_id)).toEqual(['C-1', 'C-2', 'C-3', 'C-101']);
    expect(page.data[0]).toMatchObject({ email: 'customer1@example.com', first_name: 'First1', group: 'General', addresses: [{ city: 'Berlin', country: 'DE' }] });
    const c1 = await ok(gw.call(`/v1/customers/${page.data[0].id}`));
    expect(c1).toEqual(page.data[0]);
    expect((await ok(gw.call(`/v1/customers/${c1.id}?include=raw`))).raw).toEqual(rawOf('customer', 'C-1'));
    expect((await list(`/v1/customers?connection_id=${ds.con2.id}`)).data.map((c) => c.external_id)).toEqual(['C-101']);
    expect((await list(`/v1/customers?fields=email&email=customer3@example.com`)).data).toEqual([{ id: page.data[2].id, email: 'customer3@example.com' }]);
  });

  test("an order's customer reference names the stored customer", async () => {
    const c2 = (await list('/v1/customers?email=customer2@example.com')).data[0];
    const o2 = (await list(`/v1/orders?connection_id=${ds.con1.id}&sku=SKU-2&sort=created_at`)).data.find((o) => o.external_id === 'EXT-2');
    expect(o2.customer).toEqual({ customer_id: c2.id, email: 'buyer2@example.com', name: 'Buyer 2' });
  });
});

describe('GET /v1/categories', () => {
  test('lists categories with their parent resolved, and finds one by id', async () => {
    const page = await list(`/v1/categories?connection_id=${ds.con1.id}&sort=created_at`);
    const [root, child] = page.data;
    expect(root).toMatchObject({ external_id: 'CAT-1', name: 'Category 1', parent_id: null, path: ['Category 1'], is_active: true });
    expect(child).toMatchObject({ external_id: 'CAT-2', parent_id: root.id, parent_external_id: 'CAT-1', path: ['Category 1', 'Category 2'] });
    expect(await ok(gw.call(`/v1/categories/${child.id}`))).toEqual(child);
    expect((await list(`/v1/categories?parent_id=${root.id}`)).data.map((c) => c.id)).toEqual([child.id]);
    expect(await ok(gw.call(`/v1/categories/${child.id}?fields=name,parent_id`))).toEqual({ id: child.id, name: 'Category 2', parent_id: root.id });
    expect((await list('/v1/categories?channel=other')).data.map((c) => c.external_id)).toEqual(['CAT-101']);
  });
});

describe('GET /v1/inventory', () => {
  test('lists stock levels and filters them', async () => {
    const all = await list('/v1/inventory');
    expect(all.data).toHaveLength(5);
    const sku1 = await list('/v1/inventory?sku=SKU-1');
    expect(sku1.data.map((l) => [l.location_id, l.on_hand, l.reserved, l.available]).sort()).toEqual([
      ['default', 11, 1, 10],
      ['warehouse-2', 11, 1, 10],
    ]);
    expect((await list('/v1/inventory?location_id=warehouse-2')).data.map((l) => l.sku)).toEqual(['SKU-1']);
    expect((await list('/v1/inventory?fulfillment_channel=marketplace')).data.map((l) => [l.sku, l.location_id, l.channel])).toEqual([['SKU-101', 'fba', 'other']]);
    expect((await list(`/v1/inventory?connection_id=${ds.con2.id}`)).data).toHaveLength(1);
    expect((await list('/v1/inventory?channel=scripted')).data).toHaveLength(4);
    expect((await list('/v1/inventory?updated_from=2026-01-01T00:00:03Z')).data.map((l) => l.sku).sort()).toEqual(['SKU-101', 'SKU-3']);
    expect((await list('/v1/inventory?updated_from=2026-01-01&updated_to=2026-01-01T00:00:03Z')).data.map((l) => l.sku).sort()).toEqual(['SKU-1', 'SKU-1', 'SKU-2']);
    expect((await list('/v1/inventory?fields=available&sku=SKU-2')).data).toEqual([{ id: expect.any(String), available: 11 }]);
    expect(all.data.every((l) => !('raw' in l))).toBe(true);
  });

  test('inventory pages by cursor without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(`/v1/inventory?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.data.map((l) => l.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });
});

describe('upserts as the API shows them', () => {
  const T1 = '2026-03-01T10:00:00.000Z';
  const T2 = '2026-03-02T10:00:00.000Z';

  test('an older upstream version never overwrites a newer order, and its lines stay as they were', async () => {
    const newer = { ...orderInput(500), status: 'shipped' as const, channel_status: 'complete', updated_at: T2 };
    const older = { ...orderInput(500, { lines: 1 }), status: 'canceled' as const, channel_status: 'canceled', updated_at: T1 };
    await upsertOrders(gw.tdb.db, ds.ref1, [newer]);
    const result = await upsertOrders(gw.tdb.db, ds.ref1, [older]);
    expect(result.stale).toEqual(['EXT-500']);
    expect(result.written.size).toBe(0);
    const [o] = (await list(`/v1/orders?sku=SKU-2&connection_id=${ds.con1.id}&updated_from=${T2}`)).data;
    expect(o).toMatchObject({ external_id: 'EXT-500', status: 'shipped', channel_status: 'complete', updated_at: T2 });
    expect(o.lines).toHaveLength(3);
  });

  test('the same batch stored twice leaves one record with the same line ids', async () => {
    const input = { ...orderInput(600), updated_at: T1 };
    const first = await upsertOrders(gw.tdb.db, ds.ref1, [input]);
    const before = await ok(gw.call(`/v1/orders/${first.written.get('EXT-600')!.id}`));
    const again = await upsertOrders(gw.tdb.db, ds.ref1, [input, input]);
    expect(again.written.get('EXT-600')).toEqual({ id: before.id, inserted: false });
    const after = await ok(gw.call(`/v1/orders/${before.id}`));
    expect(after.lines.map((l: any) => l.id)).toEqual(before.lines.map((l: any) => l.id));
    const byNumber = (await list(`/v1/orders?connection_id=${ds.con1.id}&limit=250`)).data.filter((o) => o.external_id === 'EXT-600');
    expect(byNumber).toHaveLength(1);
  });

  test('a newer version updates the order in place: line ids kept, vanished lines removed', async () => {
    const v1 = { ...orderInput(700), updated_at: T1 };
    const id = (await upsertOrders(gw.tdb.db, ds.ref1, [v1])).written.get('EXT-700')!.id;
    const before = await ok(gw.call(`/v1/orders/${id}`));
    const v2 = { ...orderInput(700, { lines: 2 }), status: 'shipped' as const, updated_at: T2 };
    expect((await upsertOrders(gw.tdb.db, ds.ref1, [v2])).written.get('EXT-700')).toEqual({ id, inserted: false });
    const after = await ok(gw.call(`/v1/orders/${id}`));
    expect(after.status).toBe('shipped');
    expect(after.lines.map((l: any) => l.id)).toEqual(before.lines.slice(0, 2).map((l: any) => l.id));
  });

  test('the guard holds for products (variant ids too), customers, categories, shipments and stock', async () => {
    const db = gw.tdb.db;
    const ref = ds.ref2;
    const p = (await upsertProducts(db, ref, [{ ...productInput(900, 2), title: 'New', updated_at: T2 }])).written.get('P-900')!.id;
    const pBefore = await ok(gw.call(`/v1/products/${p}`));
    expect((await upsertProducts(db, ref, [{ ...productInput(900, 1), title: 'Old', updated_at: T1 }])).stale).toEqual(['P-900']);
    await upsertProducts(db, ref, [{ ...productInput(900, 2), title: 'New', updated_at: T2 }]);
    expect(await ok(gw.call(`/v1/products/${p}`))).toMatchObject({ title: 'New', variants: pBefore.variants.map((v: any) => ({ id: v.id, sku: v.sku })) });

    const c = (await upsertCustomers(db, ref, [{ ...customerInput(900), email: 'new@example.com', updated_at: T2 }])).written.get('C-900')!.id;
    expect((await upsertCustomers(db, ref, [{ ...customerInput(900), email: 'old@example.com', updated_at: T1 }])).stale).toEqual(['C-900']);
    expect((await ok(gw.call(`/v1/customers/${c}`))).email).toBe('new@example.com');

    const k = (await upsertCategories(db, ref, [{ ...categoryInput(900), name: 'New', updated_at: T2 }])).written.get('CAT-900')!.id;
    expect((await upsertCategories(db, ref, [{ ...categoryInput(900), name: 'Old', updated_at: T1 }])).stale).toEqual(['CAT-900']);
    expect((await ok(gw.call(`/v1/categories/${k}`))).name).toBe('New');

    await upsertOrders(db, ref, [orderInput(900)]);
    const s = (await upsertShipments(db, ref, [{ ...shipmentInput(900), carrier: 'UPS', updated_at: T2 }])).written.get('S-900-0')!.id;
    expect((await upsertShipments(db, ref, [{ ...shipmentInput(900), carrier: 'DHL', updated_at: T1 }])).stale).toEqual(['S-900-0']);
    expect((await ok(gw.call(`/v1/shipments/${s}`))).carrier).toBe('UPS');

    await upsertInventory(db, ref, [{ ...inventoryInput(900), on_hand: 5, available: 5, reserved: 0, updated_at: T2 }]);
    expect((await upsertInventory(db, ref, [{ ...inventoryInput(900), on_hand: 50, available: 50, updated_at: T1 }])).stale).toEqual(['SKU-900@default']);
    expect((await list('/v1/inventory?sku=SKU-900')).data.map((l) => l.on_hand)).toEqual([5]);
  });
});
