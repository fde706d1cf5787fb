// The API2Cart-compatible layer through /v1.1/<method>.json: every served method's response checked
// against API2Cart's own OpenAPI document (ajv, JSON Schema 2020-12), plus auth and store key errors,
// unsupported methods, paging, field selection, date filters and writes through operations.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { AdapterFactory } from '../src/core/ports.ts';
import { API2CART_CARTS } from '../src/adapters/registry.ts';
import { a2cCarts, toSettings } from '../src/api/api2cart/methods/account.ts';
import { a2cWriteWait } from '../src/api/api2cart/methods/writes.ts';
import { a2cMethods } from '../src/api/api2cart/registry.ts';
import { upsertCategories, upsertProducts } from '../src/store/catalog.ts';
import { upsertCustomers, upsertOrders, upsertShipments } from '../src/store/orders.ts';
import { upsertInventory } from '../src/store/inventory.ts';
import { insertConnection } from '../src/store/connections.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { a2cClient, HAS_A2C_SPEC as HAS_SPEC, type Envelope } from './support/api2cart.ts';
import { customerInput, inventoryInput, orderInput, productInput, seedConnection, shipmentInput, testBox } from './support/seed.ts';

/** A channel that can write, so operations can be submitted (no worker runs them here). */
const WritableCredentials = z.object({ token: z.string().min(1) }).strict();
const writable: AdapterFactory<{ base_url: string }, z.infer<typeof WritableCredentials>> = {
  manifest: { channel: 'a2cwrite', displayName: 'Writable test channel', capabilities: ['orders.read', 'products.read', 'products.write', 'inventory.write', 'shipments.write', 'orders.cancel'] },
  settingsSchema: z.object({ base_url: z.string().url() }).strict(),
  credentialsSchema: WritableCredentials,
  create: (ctx) => ({
    async testConnection() {
      if (ctx.credentials.token !== 'good') throw new Error('refused');
    },
  }),
};

describe('API2Cart-compatible layer', () => {
  let gw: TestGateway;
  let storeKey: string;
  let otherStoreKey: string;
  let connectionId: string;
  const { call, checked } = a2cClient(() => gw, () => storeKey);

  beforeAll(async () => {
    a2cWriteWait.ms = 0;
    gw = await startGateway({ adapters: [writable as unknown as AdapterFactory] });
    const con = await insertConnection(gw.tdb.db, testBox, gw.a.id, { channel: 'a2cwrite', name: 'Shop A', settings: { base_url: 'https://shop-a.example' }, credentials: { token: 'good' } });
    connectionId = con.id;
    storeKey = con.store_key;
    otherStoreKey = (await seedConnection(gw.tdb.db, gw.b.id)).store_key;
    const ref = { tenantId: gw.a.id, connectionId: con.id, channel: 'a2cwrite' };
    await upsertProducts(gw.tdb.db, ref, [...Array.from({ length: 12 }, (_, i) => productInput(i)), { ...productInput(100, 3), category_ids: ['CAT-2'] }]);
    await upsertInventory(gw.tdb.db, ref, [
      ...Array.from({ length: 12 }, (_, i) => inventoryInput(i)),
      { ...inventoryInput(0), sku: 'SKU-100-0', available: 2 },
      { ...inventoryInput(0), sku: 'SKU-100-1', available: 3 },
      { ...inventoryInput(0), sku: 'SKU-100-1', location_id: 'eu-dc', available: 4 },
    ]);
    await upsertCustomers(gw.tdb.db, ref, Array.from({ length: 5 }, (_, i) => customerInput(i)));
    await upsertOrders(gw.tdb.db, ref, Array.from({ length: 15 }, (_, i) => orderInput(i + 1)));
    await upsertShipments(gw.tdb.db, ref, [shipmentInput(5)]);
    const now = '2026-01-01T00:00:00.000Z';
    await upsertCategories(gw.tdb.db, ref, [
      { external_id: 'CAT-1', name: 'Shirts', parent_external_id: null, path: ['Shirts'], position: 0, is_active: true, created_at: now, updated_at: now },
      { external_id: 'CAT-2', name: 'Polo', parent_external_id: 'CAT-1', path: ['Shirts', 'Polo'], position: 1, is_active: true, created_at: now, updated_at: now },
    ]);
  });
  afterAll(async () => {
    a2cWriteWait.ms = 3_000;
    await gw?.close();
  });

  test.skipIf(!HAS_SPEC)('every served read method answers in the shape of the document', async () => {
    const products = await checked('product.list', { params: 'force_all', count: 250 });
    const product = (products.result.product as { id: string }[])[0]!;
    const variantParent = (products.result.product as { id: string; type: string }[]).find((p) => p.type === 'configurable')!;
    const variants = await checked('product.variant.list', { product_id: variantParent.id, params: 'force_all' });
    const variantId = (variants.result.variant as { id: string }[])[0]!.id;
    const orders = await checked('order.list', { params: 'force_all', count: 20 });
    const order = (orders.result.order as { id: string; order_id: string }[]).find((o) => o.order_id === '100005')!;
    const customers = await checked('customer.list', { params: 'force_all' });
    const categories = await checked('category.list', { params: 'force_all' });
    const shipments = await checked('order.shipment.list', { order_id: order.id, params: 'force_all' });
    expect(shipments.result.shipment_count).toBe(1);
    const shipmentId = (shipments.result.shipment as { id: string }[])[0]!.id;

    const calls: [string, Record<string, unknown>][] = [
      ['account.cart.list', {}],
      ['cart.list', {}],
      ['cart.info', { params: 'force_all' }],
      ['cart.validate', {}],
      ['product.info', { id: product.id, params: 'force_all' }],
      ['product.count', {}],
      ['product.find', { find_value: 'Product 3' }],
      ['product.variant.info', { id: variantId, params: 'force_all' }],
      ['product.variant.count', { product_id: variantParent.id }],
      ['product.child_item.list', { product_id: variantParent.id }],
      ['order.info', { id: order.id, params: 'force_all' }],
      ['order.count', {}],
      ['order.find', { customer_email: 'buyer3@example.com' }],
      ['order.status.list', {}],
      ['order.shipment.info', { id: shipmentId, order_id: order.id, params: 'force_all' }],
      ['customer.info', { id: (customers.result.customer as { id: string }[])[0]!.id, params: 'force_all' }],
      ['customer.count', {}],
      ['category.info', { id: (categories.result.category as { id: string }[])[1]!.id, params: 'force_all' }],
      ['category.count', {}],
    ];
    for (const [method, params] of calls) {
      const body = await checked(method, params);
      expect({ method, code: body.return_code, message: body.return_message }).toEqual({ method, code: 0, message: '' });
    }
    // Values, not only shapes.
    expect(products.result.products_count).toBe(13);
    expect((await call('product.count')).result.products_count).toBe(13);
    expect((await call('order.count')).result.orders_count).toBe(15);
    expect((await call('customer.count')).result.customers_count).toBe(5);
    expect((await call('product.variant.count', { product_id: variantParent.id })).result.variants_count).toBe(3);
    // A simple product has no children of its own: its one variant is the product itself.
    const simple = (products.result.product as { id: string; type: string }[]).find((p) => p.type !== 'configurable')!;
    expect((await call('product.variant.count', { product_id: simple.id })).result.variants_count).toBe(0);
    expect((await call('product.child_item.list', { product_id: simple.id })).result.children).toEqual([]);
    // A parent's stock: its variants' levels, added up per location.
    expect((await call('product.info', { id: variantParent.id, params: 'quantity,inventory' })).result).toEqual({
      quantity: 9,
      inventory: [
        { warehouse_id: 'default', quantity: 5, in_stock: true },
        { warehouse_id: 'eu-dc', quantity: 4, in_stock: true },
      ],
    });
    const info = await call('product.info', { id: product.id, params: 'force_all' });
    expect(info.result).toMatchObject({ id: product.id, name: 'Product 0', u_sku: 'SKU-0', price: 10, quantity: 9 });
    const one = await call('order.info', { order_id: '100005', params: 'force_all' });
    expect(one.result).toMatchObject({ id: order.id, order_id: '100005', totals: { total: 34.9 }, customer: { email: 'buyer5@example.com' } });
    expect((await call('order.find', { customer_email: 'buyer3@example.com' })).result.order).toHaveLength(1);
    const statuses = (await call('order.status.list')).result.cart_order_statuses as { id: string }[];
    expect(statuses.map((s) => s.id).sort()).toEqual(['complete', 'processing']);
    const cats = await call('category.list', { params: 'force_all' });
    const [root, child] = cats.result.category as { id: string; parent_id: string; path: string }[];
    expect(child).toMatchObject({ parent_id: root!.id, path: 'Shirts/Polo' });
  });

  test('the API key and the store key: missing, wrong, another tenant\'s', async () => {
    expect(await call('product.list', {}, { key: null })).toMatchObject({ return_code: 2 });
    expect(await call('product.list', {}, { key: 'sk_nope' })).toMatchObject({ return_code: 2 });
    expect(await call('product.list', {}, { store: null })).toMatchObject({ return_code: 114 });
    expect(await call('product.list', {}, { store: 'f'.repeat(32) })).toMatchObject({ return_code: 101 });
    expect(await call('product.list', {}, { store: otherStoreKey })).toMatchObject({ return_code: 101 });
    // The keys as query parameters, as API2Cart also takes them.
    const res = await gw.app.request(`/v1.1/product.count.json?api_key=${gw.a.key}&store_key=${storeKey}`);
    expect(await res.json()).toMatchObject({ return_code: 0, result: { products_count: 13 } });
    // Account methods need no store key.
    expect(await call('account.cart.list', {}, { store: null })).toMatchObject({ return_code: 0, result: { carts_count: 1, carts: [{ store_key: storeKey }] } });
  });

  test('a documented method that is not served answers the not-supported code, an unknown one code 3, never a 404 page', async () => {
    for (const m of ['attribute.list', 'basket.info', 'product.add', 'order.refund.add']) {
      const body = await call(m, {}, {});
      expect(body.return_code, m).toBe(109);
      expect(body.return_message).toContain('not supported');
    }
    const unknown = await call('product.teleport', {}, { verb: 'GET' });
    expect(unknown.return_code).toBe(3);
    // Every method of the document answers with an envelope.
    for (const name of Object.keys(a2cMethods.specs)) {
      const res = await gw.app.request(`/v1.1/${name}.json`, { headers: { 'x-api-key': gw.a.key, 'x-store-key': storeKey } });
      expect(res.status, name).toBe(200);
      expect(typeof ((await res.json()) as Envelope).return_code, name).toBe('number');
    }
  });

  test('start/count, count over 250, and page_cursor walking the whole list once', async () => {
    const first = await call('product.list', { start: 0, count: 5 });
    const second = await call('product.list', { start: 5, count: 5 });
    const ids = (b: Envelope) => (b.result.product as { id: string }[]).map((p) => p.id);
    expect(ids(first)).toHaveLength(5);
    expect(ids(second)).toHaveLength(5);
    expect(new Set([...ids(first), ...ids(second)]).size).toBe(10);
    expect((await call('product.list', { start: 12, count: 5 })).result.product).toHaveLength(1);
    expect(await call('product.list', { count: 251 })).toMatchObject({ return_code: 111 });
    expect(await call('product.list', { count: 'ten' })).toMatchObject({ return_code: 109 });
    const seen: string[] = [];
    let page = await call('order.list', { count: 4, params: 'id,order_id' });
    seen.push(...(page.result.order as { id: string }[]).map((o) => o.id));
    while (page.pagination?.next) {
      page = await call('order.list', { count: 4, params: 'id,order_id', page_cursor: page.pagination.next });
      seen.push(...(page.result.order as { id: string }[]).map((o) => o.id));
    }
    expect(seen).toHaveLength(15);
    expect(new Set(seen).size).toBe(15);
    expect(await call('order.list', { page_cursor: 'garbage' })).toMatchObject({ return_code: 109 });
    // sort_by/sort_direction, paged by cursor too: newest first, all of them once.
    const newest: string[] = [];
    let desc = await call('order.list', { count: 6, params: 'order_id', sort_by: 'create_at', sort_direction: 'desc' });
    newest.push(...(desc.result.order as { order_id: string }[]).map((o) => o.order_id));
    while (desc.pagination?.next) {
      desc = await call('order.list', { count: 6, params: 'order_id', sort_by: 'create_at', sort_direction: 'desc', page_cursor: desc.pagination.next });
      newest.push(...(desc.result.order as { order_id: string }[]).map((o) => o.order_id));
    }
    expect(newest).toEqual(Array.from({ length: 15 }, (_, i) => `10000${15 - i}`));
    // A cursor belongs to its sort.
    const asc = await call('order.list', { count: 2, params: 'order_id' });
    expect(await call('order.list', { sort_direction: 'desc', sort_by: 'create_at', page_cursor: asc.pagination!.next! })).toMatchObject({ return_code: 109 });
    expect(await call('order.list', { sort_by: 'colour' })).toMatchObject({ return_code: 109 });
    // Filtered (status) and sorted.
    const shipped = await call('order.list', { order_status: 'complete', params: 'order_id', sort_by: 'create_at', sort_direction: 'desc', count: 2 });
    expect((shipped.result.order as { order_id: string }[]).map((o) => o.order_id)).toEqual(['1000015', '1000010']);
    expect(shipped.result.orders_count).toBe(3);
    const rest = await call('order.list', { order_status: 'complete', params: 'order_id', sort_by: 'create_at', sort_direction: 'desc', count: 2, page_cursor: shipped.pagination!.next! });
    expect((rest.result.order as { order_id: string }[]).map((o) => o.order_id)).toEqual(['100005']);
    expect(rest.pagination!.next).toBeNull();
    // Variants page by cursor too.
    const v1 = await call('product.child_item.list', { count: 2 });
    expect(v1.result.children).toHaveLength(2);
    const v2 = await call('product.child_item.list', { count: 250, page_cursor: v1.pagination!.next! });
    expect((v2.result.children as unknown[]).length).toBe(3 - 2);
  });

  test('product filters: product_ids, since_id, category_id, find_value; list and count agree', async () => {
    const all = (await call('product.list', { count: 250, params: 'id,name,categories_ids' })).result.product as { id: string; name: string }[];
    const ids = all.slice(2, 5).map((x) => x.id);
    const byIds = await call('product.list', { product_ids: ids.join(','), params: 'id' });
    expect((byIds.result.product as { id: string }[]).map((x) => x.id)).toEqual(ids);
    expect(byIds.result.products_count).toBe(3);
    const since = await call('product.list', { since_id: all[10]!.id, params: 'id', count: 1 });
    expect(since.result.products_count).toBe(2);
    expect((since.result.product as { id: string }[])[0]!.id).toBe(all[11]!.id);
    expect(since.pagination!.next).not.toBeNull();
    const found = await call('product.list', { find_value: 'product 1', params: 'name' });
    expect((found.result.product as { name: string }[]).map((x) => x.name).sort()).toEqual(['Product 1', 'Product 10', 'Product 100', 'Product 11']);
    expect((await call('product.count', { find_value: 'product 1' })).result.products_count).toBe(4);
    const polo = ((await call('category.list', { params: 'id,name' })).result.category as { id: string; name: string }[]).find((c) => c.name === 'Polo')!;
    const inPolo = await call('product.list', { category_id: polo.id, params: 'id,categories_ids' });
    expect(inPolo.result.product).toEqual([{ id: all.find((x) => x.name === 'Product 100')!.id, categories_ids: [polo.id] }]);
    expect((await call('product.count', { category_id: polo.id })).result.products_count).toBe(1);
    expect(await call('product.list', { status: 'sideways' })).toMatchObject({ return_code: 109 });
  });

  test('customer filters: find_value by email, ids, since_id; cart.info default fields', async () => {
    const found = await call('customer.list', { find_value: 'Customer3@example.com' });
    expect(found.result).toMatchObject({ customers_count: 1, customer: [{ email: 'customer3@example.com', first_name: 'First3' }] });
    const all = (await call('customer.list', { params: 'id' })).result.customer as { id: string }[];
    expect((await call('customer.count', { ids: `${all[0]!.id},${all[4]!.id}` })).result.customers_count).toBe(2);
    expect((await call('customer.list', { since_id: all[2]!.id, params: 'id' })).result.customer).toEqual([all[3], all[4]]);
    expect((await call('customer.count', { find_value: 'last1', find_where: 'last_name' })).result.customers_count).toBe(1);
    expect((await call('cart.info')).result).toEqual({ name: 'a2cwrite', url: 'https://shop-a.example', db_prefix: null });
  });

  test.skipIf(!HAS_SPEC)('error answers keep the envelope of the document', async () => {
    for (const [method, params] of [['product.info', { id: 'prd_nope' }], ['order.info', { id: 'ord_nope' }], ['product.list', { count: 999 }], ['customer.info', {}]] as const) {
      const body = await checked(method, params);
      expect(body.return_code).toBeGreaterThan(0);
      expect(body.result).toEqual({});
    }
    expect((await call('customer.info', {})).return_code).toBe(114);
  });

  test('params, exclude and response_fields choose the fields', async () => {
    const dflt = await call('product.list', { count: 1 });
    expect(Object.keys((dflt.result.product as object[])[0]!).sort()).toEqual(['categories_ids', 'description', 'id', 'name', 'price']);
    const some = await call('product.list', { count: 1, params: 'id,u_sku' });
    expect(Object.keys((some.result.product as object[])[0]!).sort()).toEqual(['id', 'u_sku']);
    const all = await call('product.list', { count: 1, params: 'force_all', exclude: 'description,images' });
    const keys = Object.keys((all.result.product as object[])[0]!);
    expect(keys).toContain('u_sku');
    expect(keys).not.toContain('description');
    expect(keys).not.toContain('images');
    const tree = await call('order.list', { count: 2, params: 'force_all', response_fields: '{return_code,result{order{id,status{id},customer{email}}}}' });
    expect(Object.keys(tree).sort()).toEqual(['result', 'return_code']);
    const o = (tree.result.order as Record<string, unknown>[])[0]!;
    expect(Object.keys(o).sort()).toEqual(['customer', 'id', 'status']);
    expect(Object.keys(o.status as object)).toEqual(['id']);
    expect(await call('order.list', { response_fields: '{result{order' })).toMatchObject({ return_code: 109 });
  });

  test('created and modified date filters, in API2Cart\'s date format', async () => {
    // Orders i = 1..15 are created at 2026-01-01T00:00:0i.
    const from = await call('order.count', { created_from: '2026-01-01 00:00:10' });
    expect(from.result.orders_count).toBe(6);
    const between = await call('order.list', { created_from: '2026-01-01 00:00:03', created_to: '2026-01-01 00:00:06', count: 50 });
    expect((between.result.order as { order_id: string }[]).map((x) => x.order_id)).toEqual(['100003', '100004', '100005']);
    expect((await call('product.count', { modified_from: '2026-01-01T00:00:10Z' })).result.products_count).toBe(2 + 1);
    expect((await call('customer.count', { created_to: '2026-01-01' })).result.customers_count).toBe(0);
    expect(await call('order.list', { created_from: 'yesterday' })).toMatchObject({ return_code: 109 });
  });

  test('product.update creates operations; a retry with the same idempotency_key creates no more', async () => {
    const products = await call('product.list', { count: 1, params: 'id' });
    const id = (products.result.product as { id: string }[])[0]!.id;
    const body = await checked('product.update', { id, name: 'Renamed', price: 12.5, quantity: 7 });
    expect(body).toMatchObject({ return_code: 0, result: { updated_items: 1 } });
    const ops = await gw.tdb.db.selectFrom('operations').selectAll().where('connection_id', '=', connectionId).orderBy('created_at').execute();
    expect(ops.map((o) => [o.kind, o.payload])).toEqual([
      ['product.update', { external_id: 'P-0', sku: 'SKU-0', fields: { title: 'Renamed' } }],
      ['price.update', { sku: 'SKU-0', price: { amount: '12.50', currency: 'EUR' } }],
      ['inventory.set', { sku: 'SKU-0', quantity: 7, location_id: null }],
    ]);
    const count = async () => (await gw.tdb.db.selectFrom('operations').select('id').where('connection_id', '=', connectionId).execute()).length;
    // The same change again, without a key, is a new change (price 12.5 -> 13 -> 12.5 must reach the store).
    await call('product.update', { id, price: 12.5 });
    expect(await count()).toBe(4);
    await call('product.update', { id, price: 13, idempotency_key: 'k-1' });
    await call('product.update', { id, price: 13, idempotency_key: 'k-1' });
    expect(await count()).toBe(5);
    // The same key with another body is refused, as on /v1.
    expect(await call('product.update', { id, price: 14, idempotency_key: 'k-1' })).toMatchObject({ return_code: 113 });
    expect(await call('product.update', { id, sku: 'NEW-SKU' })).toMatchObject({ return_code: 109 });
    expect(await call('product.update', { id: 'prd_nope', name: 'x' })).toMatchObject({ return_code: 112 });
    const variants = await call('product.variant.list', { count: 1, params: 'id' });
    const vid = (variants.result.variant as { id: string }[])[0]!.id;
    expect(await checked('product.variant.update', { id: vid, quantity: 3 })).toMatchObject({ return_code: 0, result: { updated_items: 1 } });
  });

  test('order.shipment.add is idempotent; order.update cancels through an operation', async () => {
    const order = (await call('order.info', { order_id: '100007', params: 'force_all' })).result as { id: string; order_products: { order_product_id: string }[] };
    const req = { order_id: order.id, items: [{ order_product_id: order.order_products[0]!.order_product_id, quantity: 1 }], tracking_numbers: [{ carrier_id: 'DHL', tracking_number: '123' }] };
    const a = await checked('order.shipment.add', req);
    const b = await checked('order.shipment.add', req);
    expect(a.return_code).toBe(0);
    expect(b.result.shipment_id).toBe(a.result.shipment_id);
    const ships = await gw.tdb.db.selectFrom('operations').selectAll().where('kind', '=', 'shipment.create').execute();
    expect(ships).toHaveLength(1);
    expect(ships[0]!.payload).toMatchObject({ order_external_id: 'EXT-7', lines: [{ external_line_id: 'L-7-0', sku: 'SKU-7', quantity: 1 }], carrier: 'DHL', tracking_number: '123' });
    expect(await call('order.shipment.add', { ...req, items: [{ order_product_id: 'oln_nope', quantity: 1 }] })).toMatchObject({ return_code: 109 });
    expect(await checked('order.update', { order_id: '100007', order_status: 'Canceled' })).toMatchObject({ return_code: 0, result: { updated_items: 1 } });
    expect(await gw.tdb.db.selectFrom('operations').select('payload').where('kind', '=', 'order.cancel').execute()).toEqual([{ payload: { order_external_id: 'EXT-7', reason: null } }]);
    expect(await call('order.update', { order_id: '100007', order_status: 'Complete' })).toMatchObject({ return_code: 109 });
    expect(await checked('order.shipment.tracking.add', { shipment_id: 'x', tracking_number: '1' })).toMatchObject({ return_code: 109 });
  });

  test('the served methods, and serving another from elsewhere in one line', async () => {
    await call('cart.list', {}, { store: null });
    expect(a2cMethods.served()).toEqual([
      'account.cart.add', 'account.cart.list', 'cart.info', 'cart.list', 'cart.validate', 'category.count', 'category.info', 'category.list',
      'customer.count', 'customer.info', 'customer.list', 'order.count', 'order.find', 'order.info', 'order.list', 'order.shipment.add',
      'order.shipment.info', 'order.shipment.list', 'order.shipment.tracking.add', 'order.status.list', 'order.update', 'product.child_item.list',
      'product.count', 'product.find', 'product.info', 'product.list', 'product.update', 'product.variant.count', 'product.variant.info',
      'product.variant.list', 'product.variant.update',
      'account.failed_webhooks', 'webhook.count', 'webhook.create', 'webhook.delete', 'webhook.events', 'webhook.list', 'webhook.update',
    ].sort());
    expect((await call('subscriber.list', {})).return_code).toBe(109);
    a2cMethods.register('subscriber.list', async (ctx, p) => ({ result: { subscribers_count: 0, subscriber: [], start: p.start, count: p.count, store: ctx.connection?.id } }));
    // The document's defaults (start 0, count 10) and types come with the registration.
    expect(await call('subscriber.list', { start: '3' })).toMatchObject({ return_code: 0, result: { start: 3, count: 10, store: connectionId } });
    expect(() => a2cMethods.register('subscriber.list', async () => ({ result: {} }))).toThrow(/twice/);
    expect(() => a2cMethods.register('no.such.method', async () => ({ result: {} }))).toThrow(/not in the document/);
  });

  test('account.cart.add connects a store through the connection service and returns its store key', async () => {
    a2cCarts.push({ cartId: 'A2cWrite', cartName: 'Writable', channel: 'a2cwrite', settings: { store_url: 'base_url' }, credentials: { shopify_access_token: 'token' } });
    try {
      const bad = await call('account.cart.add', { cart_id: 'A2cWrite', store_url: 'https://shop-b.example', shopify_access_token: 'bad' }, { store: null });
      expect(bad.return_code).not.toBe(0);
      const added = await checked('account.cart.add', { cart_id: 'A2cWrite', store_url: 'https://shop-b.example', shopify_access_token: 'good' }, { store: null });
      expect(added.return_code).toBe(0);
      const key = added.result.store_key as string;
      const con = await gw.tdb.db.selectFrom('connections').selectAll().where('store_key', '=', key).executeTakeFirstOrThrow();
      expect(con).toMatchObject({ tenant_id: gw.a.id, channel: 'a2cwrite', settings: { base_url: 'https://shop-b.example' } });
      expect((await call('product.count', {}, { store: key })).result.products_count).toBe(0);
      const rest = await gw.call(`/v1/connections/${con.id}`);
      expect(((await rest.json()) as { store_key: string }).store_key).toBe(key);
      expect((await call('account.cart.add', { cart_id: 'Shopify' }, { store: null })).return_code).toBe(109);
      // The shipped mappings fill the Magento and Amazon adapters' settings from the document's fields.
      const [magento, amazon] = API2CART_CARTS;
      expect(toSettings(magento!, { store_url: 'https://m.example', magento_consumer_key: 'ck', magento_consumer_secret: 'cs', magento_access_token: 'at', magento_token_secret: 'ts' })).toEqual({
        settings: { base_url: 'https://m.example' },
        credentials: { type: 'oauth1', consumer_key: 'ck', consumer_secret: 'cs', access_token: 'at', access_token_secret: 'ts' },
      });
      expect(toSettings(amazon!, { amazon_seller_id: 'A1SELLER', amazon_sp_aws_region: 'eu-west-1', amazon_sp_client_id: 'id', amazon_sp_client_secret: 'sec', amazon_sp_refresh_token: 'Atzr|x' })).toEqual({
        settings: { seller_id: 'A1SELLER', region: 'eu', marketplace_ids: ['A1PA6795UKMFR9'] },
        credentials: { client_id: 'id', client_secret: 'sec', refresh_token: 'Atzr|x' },
      });
    } finally {
      a2cCarts.pop();
    }
  });
});
