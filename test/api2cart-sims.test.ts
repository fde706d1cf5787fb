// The API2Cart-compatible layer on data pulled from both simulators: a Magento store and an Amazon seller
// account connected over POST /v1/connections (Magento also through account.cart.add), pulled by the sync
// engine, then every served read method called with each store key, with and without params=force_all,
// response_fields and paging, each answer checked against API2Cart's document and its values against the
// simulators' state. Writes (product.update, order.shipment.add) run through the engine against the
// simulators; a retry with the same idempotency_key changes nothing upstream.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { amazonAdapter } from '../src/adapters/amazon/index.ts';
import { clearTokenCache } from '../src/adapters/amazon/lwa.ts';
import { magentoAdapter } from '../src/adapters/magento/index.ts';
import { a2cMethods } from '../src/api/api2cart/registry.ts';
import { startAmazonSim, type AmazonSim } from './sim/amazon/index.ts';
import { startMagentoSim, type MagentoSim } from './sim/magento/index.ts';
import { a2cClient, type Envelope } from './support/api2cart.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { requestSync, waitForPulls } from './support/sync-harness.ts';

type Row = Record<string, unknown> & { id: string };
/** Whether the document gives the method this parameter. */
const documents = (method: string, param: string) => (a2cMethods.specs[method]?.params ?? []).some(([name]) => name === param);
const rows = (b: Envelope, key: string) => b.result[key] as Row[];
const money = (n: number) => Math.round(n * 100) / 100;

let mg: MagentoSim;
let az: AmazonSim;
let gw: TestGateway;
const keys = { magento: '', amazon: '', magentoCart: '' };
let store = '';
const { call, checked } = a2cClient(() => gw, () => store);

/** Calls with this store key, checks the answer against the document and that it succeeded. */
async function ok(key: string, method: string, params: Record<string, unknown> = {}): Promise<Envelope> {
  store = key;
  const body = await checked(method, params);
  expect({ method, params, code: body.return_code, message: body.return_message ?? '' }).toEqual({ method, params, code: 0, message: '' });
  return body;
}

/** A list walked by page_cursor (count 2) where the document has one, and by start: every item once, as one big page has them. */
async function walk(key: string, method: string, listKey: string, params: Record<string, unknown>, all: Row[]): Promise<void> {
  const seen: string[] = [];
  let page = await ok(key, method, { ...params, count: 2, params: 'id' });
  seen.push(...rows(page, listKey).map((r) => r.id));
  if (documents(method, 'page_cursor')) {
    for (let guard = 0; page.pagination?.next && guard < 200; guard++) {
      page = await ok(key, method, { ...params, count: 2, params: 'id', page_cursor: page.pagination.next });
      seen.push(...rows(page, listKey).map((r) => r.id));
    }
  } else {
    // No cursor in the document: none handed out; start/count walk the list.
    expect(page.pagination?.next ?? null, method).toBeNull();
    for (let start = 2; start < all.length; start += 2) seen.push(...rows(await ok(key, method, { ...params, start, count: 2, params: 'id' }), listKey).map((r) => r.id));
  }
  expect(seen, method).toEqual(all.map((r) => r.id));
  if (all.length > 1) {
    const second = await ok(key, method, { ...params, start: 1, count: 1, params: 'id' });
    expect(rows(second, listKey).map((r) => r.id), method).toEqual([all[1]!.id]);
  }
}

/** Every served read method on one store, in every field-selection and paging form; returns what it read. */
async function exercise(key: string) {
  await ok(key, 'cart.info');
  await ok(key, 'cart.info', { params: 'force_all' });
  await ok(key, 'cart.validate');
  await ok(key, 'cart.list');
  store = key;
  expect((await checked('account.cart.list', {}, { store: null })).return_code).toBe(0);
  await ok(key, 'account.cart.list', { params: 'force_all', store_key: key });

  const lists: [string, string, string, Record<string, unknown>][] = [
    ['product.list', 'product', 'products_count', {}],
    ['order.list', 'order', 'orders_count', {}],
    ['customer.list', 'customer', 'customers_count', {}],
    ['category.list', 'category', 'categories_count', {}],
    ['product.child_item.list', 'children', 'total_count', {}],
    ['product.variant.list', 'variant', '', {}],
  ];
  const all: Record<string, Row[]> = {};
  for (const [method, listKey, countKey, params] of lists) {
    await ok(key, method, params);
    const full = await ok(key, method, { ...params, params: 'force_all', count: 250 });
    all[method] = rows(full, listKey);
    if (countKey) expect(full.result[countKey], method).toBe(all[method]!.length);
    await ok(key, method, { ...params, params: 'force_all', exclude: 'id', count: 3 });
    if (documents(method, 'response_fields')) {
      const tree = await ok(key, method, { ...params, params: 'force_all', count: 3, response_fields: `{return_code,return_message,pagination,result{${listKey}{id}}}` });
      expect(rows(tree, listKey).map((r) => Object.keys(r).join()), method).toEqual(rows(tree, listKey).map(() => 'id'));
    }
    await walk(key, method, listKey, params, all[method]!);
  }
  for (const [method, countKey, params] of [['product.count', 'products_count', {}], ['order.count', 'orders_count', {}], ['customer.count', 'customers_count', {}], ['category.count', 'categories_count', {}]] as const) {
    const list = { 'product.count': 'product.list', 'order.count': 'order.list', 'customer.count': 'customer.list', 'category.count': 'category.list' }[method];
    expect((await ok(key, method, params)).result[countKey], method).toBe(all[list]!.length);
  }

  const products = all['product.list']!;
  for (const p of products.slice(0, 3)) {
    await ok(key, 'product.info', { id: p.id });
    await ok(key, 'product.info', { id: p.id, params: 'force_all' });
    await ok(key, 'product.info', { id: p.id, params: 'force_all', response_fields: '{return_code,result{id,name,u_sku,price}}' });
  }
  await ok(key, 'product.find', { find_value: String(products[0]!.name) });
  await ok(key, 'product.find', { find_value: String(products[0]!.u_sku), find_where: 'sku' });
  for (const v of all['product.variant.list']!.slice(0, 2)) {
    await ok(key, 'product.variant.info', { id: v.id });
    await ok(key, 'product.variant.info', { id: v.id, params: 'force_all' });
    const parent = (v.additional_fields as { parent_id: string }).parent_id;
    await ok(key, 'product.variant.count', { product_id: parent });
    await ok(key, 'product.variant.list', { product_id: parent, params: 'force_all' });
    await ok(key, 'product.child_item.list', { product_id: parent, params: 'force_all' });
  }

  const orders = all['order.list']!;
  for (const o of orders.slice(0, 3)) {
    await ok(key, 'order.info', { id: o.id });
    await ok(key, 'order.info', { order_id: String(o.order_id), params: 'force_all' });
    await ok(key, 'order.info', { id: o.id, params: 'force_all', response_fields: '{return_code,result{id,order_id,totals,status{id}}}' });
  }
  await ok(key, 'order.find', { params: 'force_all', count: 5 });
  const email = (orders.find((o) => (o.customer as { email: string }).email)?.customer as { email: string } | undefined)?.email;
  if (email) expect(rows(await ok(key, 'order.find', { customer_email: email }), 'order').length).toBeGreaterThan(0);
  await ok(key, 'order.status.list');
  await ok(key, 'order.count', { order_status: String((orders[0]?.status as { id: string } | undefined)?.id ?? 'x') });

  const shipments: Row[] = [];
  for (const o of orders) {
    const list = await ok(key, 'order.shipment.list', { order_id: o.id, params: 'force_all' });
    await ok(key, 'order.shipment.list', { order_id: o.id });
    for (const s of rows(list, 'shipment')) {
      shipments.push(s);
      if (shipments.length <= 3) {
        await ok(key, 'order.shipment.info', { order_id: o.id, id: s.id });
        await ok(key, 'order.shipment.info', { order_id: o.id, id: s.id, params: 'force_all' });
      }
    }
  }
  for (const c of all['customer.list']!.slice(0, 2)) {
    await ok(key, 'customer.info', { id: c.id });
    await ok(key, 'customer.info', { id: c.id, params: 'force_all' });
  }
  for (const c of all['category.list']!.slice(0, 2)) {
    await ok(key, 'category.info', { id: c.id });
    await ok(key, 'category.info', { id: c.id, params: 'force_all' });
  }
  // Errors keep the document's envelope too.
  store = key;
  for (const [method, params] of [['product.info', { id: 'prd_nope' }], ['order.info', { id: 'ord_nope' }], ['order.shipment.list', { order_id: 'nope' }]] as const) {
    const body = await checked(method, params);
    expect(body.return_code, method).toBe(112);
  }
  return { all, shipments };
}

beforeAll(async () => {
  clearTokenCache();
  mg = await startMagentoSim({ seed: { simples: 6, configurables: 2, orders: 10, customers: 4, categories: 3 } });
  az = await startAmazonSim({ seed: { listings: 8, orders: 16, fbaInventory: 2, seed: 5 }, rateLimits: false });
  gw = await startGateway({ adapters: [magentoAdapter, amazonAdapter] });
  gw.tdb.pool.on('error', () => undefined);
  gw.tdb.pool.on('connect', (client) => void client.on('error', () => undefined));
  const since = new Date(Date.now() - 1);
  const create = async (body: unknown) => {
    const res = await gw.call('/v1/connections', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: string; store_key: string };
  };
  const m = await create({ channel: 'magento', name: 'Magento sim', settings: { base_url: mg.url, page_size: 20, rate_per_sec: 200, burst: 50 }, credentials: { type: 'oauth1', ...mg.credentials.oauth1 } });
  const a = await create({ channel: 'amazon', name: 'Amazon sim', settings: { region: 'na', seller_id: az.sellerId, marketplace_ids: az.marketplaceIds, endpoint: az.url, lwa_endpoint: az.lwaUrl }, credentials: az.credentials });
  keys.magento = m.store_key;
  keys.amazon = a.store_key;
  await gw.engine.startWorkers(2);
  const first = ['products', 'inventory', 'orders', 'customers', 'categories'];
  await waitForPulls(gw, m.id, await requestSync(gw, m.id, { entities: first }), first, 25_000);
  await waitForPulls(gw, m.id, await requestSync(gw, m.id, { entities: ['shipments'], full: true }), ['shipments'], 25_000);
  await waitForPulls(gw, a.id, since, ['orders', 'products', 'inventory'], 25_000);
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await mg?.stop();
  await az?.stop();
});

describe('the API2Cart layer on data pulled from the simulators', () => {
  test('Magento: every read method in the document\'s shape, with the simulator\'s values', async () => {
    const { all, shipments } = await exercise(keys.magento);
    expect(all['product.list']!.map((p) => p.u_sku).sort()).toEqual(mg.state.products.map((p) => p.sku).sort());
    expect(all['order.list']!.map((o) => o.order_id).sort()).toEqual(mg.state.orders.map((o) => o.increment_id).sort());
    expect(all['customer.list']!.map((c) => c.email).sort()).toEqual(mg.state.customers.map((c) => c.email).sort());
    expect(shipments.length).toBe(mg.state.shipments.length);
    // A configurable's children, through child_item.list and variant.list, as the simulator has them.
    for (const parent of mg.state.products.filter((p) => p.type_id === 'configurable')) {
      const ours = all['product.list']!.find((p) => p.u_sku === parent.sku)!;
      expect(ours).toMatchObject({ type: 'configurable', name: parent.name });
      const kids = parent.children.map((id) => mg.state.productsById.get(id)!);
      const children = rows(await ok(keys.magento, 'product.child_item.list', { product_id: ours.id, params: 'force_all', count: 250 }), 'children');
      expect(children.map((c) => [c.sku, c.default_price, c.parent_id]).sort()).toEqual(kids.map((k) => [k.sku, money(k.price), ours.id]).sort());
      expect(children.every((c) => (c.combination as unknown[]).length === 2)).toBe(true);
      const variants = rows(await ok(keys.magento, 'product.variant.list', { product_id: ours.id, params: 'force_all' }), 'variant');
      expect(variants.map((v) => [v.u_sku, v.price]).sort()).toEqual(kids.map((k) => [k.sku, money(k.price)]).sort());
      expect((await ok(keys.magento, 'product.variant.count', { product_id: ours.id })).result.variants_count).toBe(kids.length);
    }
    for (const up of mg.state.orders) {
      const o = (await ok(keys.magento, 'order.info', { order_id: up.increment_id, params: 'force_all' })).result;
      expect(o, up.increment_id).toMatchObject({ order_id: up.increment_id, totals: { total: money(up.grand_total), subtotal: money(up.subtotal) }, status: { id: up.status }, customer: { email: up.customer_email } });
    }
    // Categories keep their tree: a child's parent_id is its parent's id in this layer, not Magento's.
    const cats = all['category.list']!;
    const byName = new Map(cats.map((c) => [c.name, c]));
    for (const up of mg.state.categories) {
      const c = byName.get(up.name);
      if (!c) continue;
      const parent = mg.state.categories.find((x) => x.id === up.parent_id);
      if (parent && byName.has(parent.name)) expect(c.parent_id, up.name).toBe(byName.get(parent.name)!.id);
    }
    expect(cats.length).toBeGreaterThan(0);
    for (const up of mg.state.customers) {
      const c = all['customer.list']!.find((x) => x.email === up.email)!;
      expect({ first_name: c.first_name, last_name: c.last_name }).toEqual({ first_name: up.firstname, last_name: up.lastname });
    }
    // Stock: a simple's quantity is what Magento can sell.
    for (const up of mg.state.products.filter((p) => p.type_id === 'simple').slice(0, 4)) {
      const p = all['product.list']!.find((x) => x.u_sku === up.sku)!;
      expect(p.quantity, up.sku).toBe(Math.round(mg.state.salable(up.sku, 1)));
    }
    const statuses = (await ok(keys.magento, 'order.status.list')).result.cart_order_statuses as { id: string }[];
    expect(statuses.map((s) => s.id).sort()).toEqual([...new Set(mg.state.orders.map((o) => o.status))].sort());
  }, 30_000);

  test('Amazon: every read method in the document\'s shape, with the simulator\'s values', async () => {
    const { all } = await exercise(keys.amazon);
    expect(all['product.list']!.map((p) => p.u_sku).sort()).toEqual([...az.state.listings.keys()].sort());
    for (const p of all['product.list']!) expect(p.price, String(p.u_sku)).toBe(az.state.priceOf(String(p.u_sku)));
    const pulled = [...az.state.orders.values()].filter((o) => o.lastUpdatedTime <= Date.now() - 120_000);
    expect(all['order.list']!.map((o) => o.order_id).sort()).toEqual(pulled.map((o) => o.orderId).sort());
    const paid = pulled.filter((o) => o.status !== 'PENDING' && o.status !== 'CANCELLED');
    expect(paid.length).toBeGreaterThan(0);
    for (const up of paid) {
      const items = up.items.reduce((a, it) => a + Number(it.unitPrice) * it.quantityOrdered, 0);
      const tax = up.items.reduce((a, it) => a + Number(it.itemTax) * it.quantityOrdered, 0);
      const o = (await ok(keys.amazon, 'order.info', { order_id: up.orderId, params: 'force_all' })).result;
      expect(o, up.orderId).toMatchObject({
        order_id: up.orderId,
        totals: { total: money(items + tax + Number(up.shippingPrice)), subtotal: money(items), shipping: money(Number(up.shippingPrice)), tax: money(tax) },
        currency: { iso3: up.currency },
      });
      const lines = (o.order_products as { model: string; quantity: number }[]).map((l) => [l.model, l.quantity]).sort();
      expect(lines).toEqual(up.items.map((it) => [it.sku, it.quantityOrdered]).sort());
    }
  }, 30_000);

  test('account.cart.add connects the Magento simulator; its store key serves the same methods', async () => {
    store = keys.magento;
    const added = await checked('account.cart.add', { cart_id: 'Magento2Api', store_url: mg.url, magento_consumer_key: mg.credentials.oauth1.consumer_key, magento_consumer_secret: mg.credentials.oauth1.consumer_secret, magento_access_token: mg.credentials.oauth1.access_token, magento_token_secret: mg.credentials.oauth1.access_token_secret }, { store: null });
    expect(added.return_code, added.return_message).toBe(0);
    keys.magentoCart = added.result.store_key as string;
    await ok(keys.magentoCart, 'cart.validate');
    await ok(keys.magentoCart, 'cart.info', { params: 'force_all' });
    const carts = rows(await ok(keys.magento, 'account.cart.list', { params: 'force_all' }), 'carts');
    expect(carts.map((c) => c.store_key).sort()).toEqual([keys.magento, keys.amazon, keys.magentoCart].sort());
    const bad = await call('account.cart.add', { cart_id: 'Magento2Api', store_url: mg.url, magento_consumer_key: 'x', magento_consumer_secret: 'y', magento_access_token: 'z', magento_token_secret: 'w' }, { store: null });
    expect(bad.return_code).not.toBe(0);
  });

  test('Magento writes: product.update and order.shipment.add reach the simulator once, retries included', async () => {
    const simple = mg.state.products.find((p) => p.type_id === 'simple' && p.parent_id === null)!;
    const ours = rows(await ok(keys.magento, 'product.list', { sku: simple.sku, params: 'id,u_sku' }), 'product')[0]!;
    const writes = () => mg.requests.filter((r) => r.method !== 'GET').length;
    const req = { id: ours.id, price: 77.5, idempotency_key: 'mg-price-1' };
    await ok(keys.magento, 'product.update', req);
    expect(mg.state.product(simple.sku)!.price).toBe(77.5);
    const after = writes();
    await ok(keys.magento, 'product.update', req);
    expect(writes()).toBe(after);

    const order = mg.state.orders.find((o) => o.items.some((i) => i.parent_item_id === null && i.qty_shipped + i.qty_canceled < i.qty_ordered) && ['pending', 'processing'].includes(o.status))!;
    expect(order).toBeDefined();
    const before = mg.state.shipmentsByOrder.get(order.entity_id)?.length ?? 0;
    const ship = { order_id: order.increment_id, tracking_numbers: [{ carrier_id: 'ups', tracking_number: '1Z-A2C' }], idempotency_key: 'mg-ship-1' };
    const first = await ok(keys.magento, 'order.shipment.add', ship);
    const again = await ok(keys.magento, 'order.shipment.add', ship);
    expect(again.result.shipment_id).toBe(first.result.shipment_id);
    const made = mg.state.shipmentsByOrder.get(order.entity_id) ?? [];
    expect(made.length).toBe(before + 1);
    expect(made.at(-1)!.tracks.map((t) => t.track_number)).toEqual(['1Z-A2C']);
  }, 20_000);

  test('Amazon writes: product.update and order.shipment.add reach the simulator once, retries included', async () => {
    const sku = [...az.state.listings.keys()][0]!;
    const ours = rows(await ok(keys.amazon, 'product.list', { sku, params: 'id,u_sku' }), 'product')[0]!;
    const writes = () => az.requests.filter((r) => r.method !== 'GET' && !r.path.startsWith('/auth')).length;
    const req = { id: ours.id, price: 42.25, idempotency_key: 'az-price-1' };
    await ok(keys.amazon, 'product.update', req);
    expect(az.state.priceOf(sku)).toBe(42.25);
    const after = writes();
    await ok(keys.amazon, 'product.update', req);
    expect(writes()).toBe(after);

    const pulled = [...az.state.orders.values()].filter((o) => o.lastUpdatedTime <= Date.now() - 120_000);
    const order = pulled.find((o) => o.fulfilledBy === 'MERCHANT' && o.status === 'UNSHIPPED')!;
    expect(order).toBeDefined();
    const ship = { order_id: order.orderId, tracking_numbers: [{ carrier_id: 'UPS', tracking_number: '1Z-AMZ' }], shipping_method: 'Ground', idempotency_key: 'az-ship-1' };
    const first = await ok(keys.amazon, 'order.shipment.add', ship);
    const again = await ok(keys.amazon, 'order.shipment.add', ship);
    expect(again.result.shipment_id).toBe(first.result.shipment_id);
    expect(order.packages.map((p) => p.trackingNumber)).toEqual(['1Z-AMZ']);
    expect(az.state.confirmations.get(order.orderId)?.length).toBe(1);
  }, 20_000);
});
