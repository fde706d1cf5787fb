// Products, configurables, categories, stock and orders as the Magento simulator serves them, checked
// against the admin schema (violations stay empty) and Magento's behaviour.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMagentoSim, type MagentoSim } from './index.ts';
import { call, criteria } from './client.ts';

let sim: MagentoSim;
beforeAll(async () => {
  sim = await startMagentoSim({ seed: { simples: 12, configurables: 2, orders: 20, customers: 4 } });
});
afterAll(async () => {
  expect(sim.violations).toEqual([]);
  await sim.stop();
});

type Product = { id: number; sku: string; name: string; price: number; type_id: string; updated_at: string; custom_attributes: { attribute_code: string; value: string }[]; extension_attributes: { stock_item: { qty: number }; configurable_product_links?: number[]; configurable_product_options?: { attribute_id: string; values: { value_index: number }[] }[] } };
type List<T> = { items: T[]; total_count: number; search_criteria: Record<string, unknown> };

describe('products', () => {
  test('a simple product by SKU, with custom attributes, stock item, media and category links', async () => {
    const { status, body } = await call<Product & { media_gallery_entries: unknown[] }>(sim, 'GET', '/rest/default/V1/products/SIM-000002');
    expect(status).toBe(200);
    expect(body.sku).toBe('SIM-000002');
    const attrs = Object.fromEntries(body.custom_attributes.map((a) => [a.attribute_code, a.value]));
    expect(attrs.url_key).toBe('sim-000002');
    expect(attrs.ean).toMatch(/^\d{13}$/);
    expect(attrs.description).toContain('Urban Chair 2');
    expect(body.extension_attributes.stock_item.qty).toBe(sim.state.legacyQty('SIM-000002'));
    expect(body.media_gallery_entries).toHaveLength(1);
  });

  test('unknown SKU: 404 with Magento\'s message', async () => {
    const { status, body } = await call(sim, 'GET', '/rest/default/V1/products/NOPE');
    expect(status).toBe(404);
    expect(body).toEqual({ message: "The product that was requested doesn't exist. Verify the product and try again." });
  });

  test('a configurable product links three children and lists color/size options', async () => {
    const { body } = await call<Product>(sim, 'GET', '/rest/default/V1/products/CFG-000001');
    expect(body.type_id).toBe('configurable');
    expect(body.extension_attributes.configurable_product_links).toHaveLength(3);
    const opts = body.extension_attributes.configurable_product_options!;
    expect(opts.map((o) => o.attribute_id)).toEqual(['93', '144']);
    const children = await call<Product[]>(sim, 'GET', '/rest/default/V1/configurable-products/CFG-000001/children');
    expect(children.body.map((c) => c.sku)).toEqual(['CFG-000001-RED-S', 'CFG-000001-BLUE-M', 'CFG-000001-GREEN-L']);
    const colorOf = (p: Product) => p.custom_attributes.find((a) => a.attribute_code === 'color')!.value;
    expect(children.body.map(colorOf)).toEqual(['49', '50', '51']);
    const options = await call<{ label: string; value: string }[]>(sim, 'GET', '/rest/default/V1/products/attributes/color/options');
    expect(options.body.find((o) => o.value === '50')!.label).toBe('Blue');
    const all = await call<unknown[]>(sim, 'GET', '/rest/default/V1/configurable-products/CFG-000001/options/all');
    expect(all.body).toHaveLength(2);
  });

  test('store views: the de view answers its own name; an unknown store code is a 404', async () => {
    const de = await call<Product>(sim, 'GET', '/rest/de/V1/products/SIM-000001');
    expect(de.body.name).toBe('Classic Shirt 1 (DE)');
    const all = await call<Product>(sim, 'GET', '/rest/all/V1/products/SIM-000001');
    expect(all.body.name).toBe('Classic Shirt 1');
    const bad = await call(sim, 'GET', '/rest/nowhere/V1/products/SIM-000001');
    expect(bad.status).toBe(404);
    expect(bad.body).toEqual({ message: "The store that was requested wasn't found. Verify the store and try again." });
  });

  test('PUT through a store view writes a store-level name; through /rest/all/ the global one; price is global', async () => {
    await call(sim, 'PUT', '/rest/de/V1/products/SIM-000003', { product: { name: 'Nur DE', price: 12.5 } });
    expect((await call<Product>(sim, 'GET', '/rest/de/V1/products/SIM-000003')).body.name).toBe('Nur DE');
    const global = (await call<Product>(sim, 'GET', '/rest/all/V1/products/SIM-000003')).body;
    expect(global.name).not.toBe('Nur DE');
    expect(global.price).toBe(12.5);
    await call(sim, 'PUT', '/rest/all/V1/products/SIM-000003', { product: { name: 'Global name', custom_attributes: [{ attribute_code: 'ean', value: '4006381333931' }] } });
    const after = (await call<Product>(sim, 'GET', '/rest/default/V1/products/SIM-000003')).body;
    expect(after.name).toBe('Global name');
    expect(after.custom_attributes.find((a) => a.attribute_code === 'ean')!.value).toBe('4006381333931');
  });

  test('?fields= trims the answer the way Magento\'s fields filter does', async () => {
    const r = await call<Record<string, unknown>>(sim, 'GET', `/rest/default/V1/products?${criteria({ pageSize: 2 })}&fields=${encodeURIComponent('items[sku,extension_attributes[stock_item[qty]]],total_count')}`);
    expect(Object.keys(r.body).sort()).toEqual(['items', 'total_count']);
    expect(r.body.items).toEqual([
      { sku: 'SIM-000001', extension_attributes: { stock_item: { qty: sim.state.legacyQty('SIM-000001') } } },
      { sku: 'SIM-000002', extension_attributes: { stock_item: { qty: sim.state.legacyQty('SIM-000002') } } },
    ]);
  });

  test('GET /V1/products without searchCriteria is a 400', async () => {
    const { status, body } = await call(sim, 'GET', '/rest/default/V1/products');
    expect(status).toBe(400);
    expect(body).toEqual({ message: '"%fieldName" is required. Enter and try again.', parameters: { fieldName: 'searchCriteria' } });
  });

  test('categories: tree from the default category, and the list', async () => {
    const tree = await call<{ id: number; children_data: unknown[] }>(sim, 'GET', '/rest/default/V1/categories');
    expect(tree.body.id).toBe(2);
    expect(tree.body.children_data.length).toBeGreaterThan(0);
    const list = await call<List<{ id: number }>>(sim, 'GET', `/rest/default/V1/categories/list?${criteria({ pageSize: 100 })}`);
    expect(list.body.total_count).toBe(sim.state.categories.length);
  });
});

describe('stock', () => {
  test('legacy stock item write mirrors into the default source item and is counted', async () => {
    const before = sim.state.stockWrites.get('SIM-000004@default') ?? 0;
    const r = await call(sim, 'PUT', '/rest/default/V1/products/SIM-000004/stockItems/4', { stockItem: { qty: 77, is_in_stock: true } });
    expect(r).toEqual({ status: 200, body: 4 });
    expect((await call<{ qty: number }>(sim, 'GET', '/rest/default/V1/stockItems/SIM-000004')).body.qty).toBe(77);
    const si = await call<List<{ source_code: string; quantity: number }>>(sim, 'GET', `/rest/default/V1/inventory/source-items?${criteria({ groups: [[['sku', 'SIM-000004']]] })}`);
    expect(si.body.items).toEqual([{ sku: 'SIM-000004', source_code: 'default', quantity: 77, status: 1 }]);
    expect(sim.state.stockWrites.get('SIM-000004@default')).toBe(before + 1);
  });

  test('a stock write does not move the product\'s updated_at (stock is not part of the product entity)', async () => {
    const p = sim.state.product('SIM-000006')!;
    const at = p.updated_at;
    await call(sim, 'POST', '/rest/default/V1/inventory/source-items', { sourceItems: [{ sku: 'SIM-000006', source_code: 'default', quantity: 3, status: 1 }] });
    await call(sim, 'PUT', '/rest/default/V1/products/SIM-000006/stockItems/6', { stockItem: { qty: 4 } });
    expect(sim.state.product('SIM-000006')!.updated_at).toBe(at);
  });

  test('MSI source items POST, salable quantity, and msi:false hides the routes', async () => {
    const r = await call(sim, 'POST', '/rest/default/V1/inventory/source-items', { sourceItems: [{ sku: 'SIM-000005', source_code: 'default', quantity: 9, status: 1 }] });
    expect(r.status).toBe(200);
    // seeded open orders hold reservations
    expect((await call(sim, 'GET', '/rest/default/V1/inventory/get-product-salable-quantity/SIM-000005/1')).body).toBe(9 + sim.state.reserved('SIM-000005', 1));
    const bad = await call(sim, 'POST', '/rest/default/V1/inventory/source-items', { sourceItems: [{ sku: 'SIM-000005', source_code: 'nowhere', quantity: 1, status: 1 }] });
    expect(bad.status).toBe(400);
    const noMsi = await startMagentoSim({ msi: false, seed: { simples: 1, configurables: 0, orders: 0 } });
    try {
      expect((await call(noMsi, 'GET', '/rest/default/V1/inventory/get-product-salable-quantity/SIM-000001/1')).status).toBe(404);
      expect((await call(noMsi, 'GET', '/rest/default/V1/stockItems/SIM-000001')).status).toBe(200);
    } finally {
      await noMsi.stop();
    }
  });
});

describe('prices and salable export', () => {
  test('base-prices saves the valid rows and answers the failures with placeholders', async () => {
    const r = await call<{ message: string; parameters: string[] }[]>(sim, 'POST', '/rest/all/V1/products/base-prices', { prices: [{ sku: 'SIM-000007', price: 42.5, store_id: 0 }, { sku: 'NOPE', price: 1, store_id: 0 }, { sku: 'SIM-000008', price: -1, store_id: 0 }] });
    expect(r.status).toBe(200);
    expect(r.body.map((f) => f.parameters[0])).toEqual(['NOPE', 'Price']);
    expect(r.body[0]!.message).toContain('%SKU');
    expect(sim.state.product('SIM-000007')!.price).toBe(42.5);
    expect(sim.state.product('SIM-000008')!.price).not.toBe(-1);
  });

  test('export-stock-salable-qty by website: source qty less reservations, for the SKUs asked', async () => {
    sim.state.setSourceQty('SIM-000009', 'default', 12, false);
    const seeded = sim.state.reserved('SIM-000009', 1);
    sim.state.reserve('SIM-000009', 1, -5, '{}');
    const r = await call<List<{ sku: string; qty: number; is_salable: boolean }>>(sim, 'GET', `/rest/default/V1/inventory/export-stock-salable-qty/website/base?${criteria({ groups: [[['sku', 'SIM-000009,SIM-000010', 'in']]], pageSize: 10 })}`);
    expect(r.body.items.find((i) => i.sku === 'SIM-000009')).toEqual({ sku: 'SIM-000009', qty: 7 + seeded, is_salable: 7 + seeded > 0 });
    expect(r.body.total_count).toBe(2);
    expect((await call(sim, 'GET', '/rest/default/V1/inventory/export-stock-salable-qty/website/nowhere?searchCriteria')).status).toBe(404);
  });
});

describe('website price scope', () => {
  test('a website price shows through its store views only; base-prices with a store id sets it; the information lists it', async () => {
    const ws = await startMagentoSim({ seed: { simples: 3, configurables: 0, orders: 0, customers: 0 }, priceScope: 'website' });
    try {
      const global = ws.state.product('SIM-000002')!.price;
      const failures = await call(ws, 'POST', '/rest/all/V1/products/base-prices', { prices: [{ sku: 'SIM-000002', price: 12.5, store_id: ws.state.store('de')!.id }] });
      expect(failures.body).toEqual([]);
      const through = async (view: string) => (await call<{ price: number }>(ws, 'GET', `/rest/${view}/V1/products/SIM-000002`)).body.price;
      expect(await through('de')).toBe(12.5);
      expect(await through('default')).toBe(global);
      expect(ws.state.product('SIM-000002')!.price).toBe(global);
      const filtered = await call<List<{ sku: string }>>(ws, 'GET', `/rest/de/V1/products?${criteria({ groups: [[['price', '13', 'lt']]], pageSize: 10 })}`);
      expect(filtered.body.items.map((i) => i.sku)).toContain('SIM-000002');
      const info = await call<{ sku: string; price: number; store_id: number }[]>(ws, 'POST', '/rest/all/V1/products/base-prices-information', { skus: ['SIM-000002'] });
      expect(info.body).toEqual([{ sku: 'SIM-000002', price: global, store_id: 0 }, { sku: 'SIM-000002', price: 12.5, store_id: ws.state.store('de')!.id }]);
      ws.state.setWebsitePrice('SIM-000002', 'eu', null);
      expect(await through('de')).toBe(global);
      // Global scope (the default) has no website prices.
      expect(() => sim.state.setWebsitePrice('SIM-000002', 'eu', 1)).toThrow(/global/);
      expect(ws.violations).toEqual([]);
    } finally {
      await ws.stop();
    }
  });
});

describe('orders', () => {
  type Order = { entity_id: number; increment_id: string; status: string; items: { item_id: number; sku: string; product_type: string; parent_item_id?: number; qty_ordered: number; qty_shipped: number }[]; billing_address: { city: string }; extension_attributes: { shipping_assignments: { shipping: { address: { address_type: string } } }[] }; grand_total: number; status_histories: { comment: string }[] };

  test('list and get: items, billing and the shipping address under shipping_assignments', async () => {
    const list = await call<List<Order>>(sim, 'GET', `/rest/default/V1/orders?${criteria({ pageSize: 5 })}`);
    expect(list.body.total_count).toBe(20);
    expect(list.body.items).toHaveLength(5);
    const one = await call<Order>(sim, 'GET', `/rest/default/V1/orders/${list.body.items[0]!.entity_id}`);
    expect(one.body.increment_id).toBe(list.body.items[0]!.increment_id);
    expect(one.body.extension_attributes.shipping_assignments[0]!.shipping.address.address_type).toBe('shipping');
    expect((await call(sim, 'GET', '/rest/default/V1/orders/999999')).status).toBe(404);
  });

  test('an order created from another channel keeps its prices and totals; configurable rows come as parent + child', async () => {
    const entity = {
      customer_email: 'buyer@example.com',
      customer_firstname: 'Ada',
      customer_lastname: 'Lovelace',
      base_grand_total: 61.37,
      grand_total: 61.37,
      subtotal: 52.38,
      shipping_amount: 8.99,
      order_currency_code: 'USD',
      ext_order_id: 'AMZ-111-222',
      items: [
        { sku: 'SIM-000006', qty_ordered: 2, price: 13.19 },
        { sku: 'CFG-000001-BLUE-M', qty_ordered: 1, price: 26 },
      ],
      billing_address: { address_type: 'billing', firstname: 'Ada', lastname: 'Lovelace', street: ['1 Analytical Way'], city: 'London', postcode: 'N1', country_id: 'GB', telephone: '123' },
      payment: { method: 'checkmo', account_status: '', additional_information: [], cc_last4: '' },
      extension_attributes: { shipping_assignments: [{ shipping: { address: { address_type: 'shipping', firstname: 'Ada', lastname: 'Lovelace', street: ['1 Analytical Way'], city: 'London', postcode: 'N1', country_id: 'GB', telephone: '123' }, method: 'flatrate_flatrate' }, items: [] }] },
    };
    const r = await call<Order>(sim, 'POST', '/rest/default/V1/orders', { entity });
    expect(r.status).toBe(200);
    expect(r.body.grand_total).toBe(61.37);
    const rows = r.body.items.map((i) => [i.sku, i.product_type, i.parent_item_id !== undefined]);
    expect(rows).toEqual([
      ['SIM-000006', 'simple', false],
      ['CFG-000001-BLUE-M', 'configurable', false],
      ['CFG-000001-BLUE-M', 'simple', true],
    ]);
    expect(sim.state.orderByExtId('AMZ-111-222')?.entity_id).toBe(r.body.entity_id);
    const found = await call<List<Order>>(sim, 'GET', `/rest/default/V1/orders?${criteria({ groups: [[['ext_order_id', 'AMZ-111-222']]] })}`);
    expect(found.body.items.map((o) => o.entity_id)).toEqual([r.body.entity_id]);
  });

  test('comments and cancel', async () => {
    const o = sim.state.orders.find((x) => x.state === 'new')!;
    const c = await call(sim, 'POST', `/rest/default/V1/orders/${o.entity_id}/comments`, { statusHistory: { comment: 'Shipped from Amazon', is_customer_notified: 0, is_visible_on_front: 0, parent_id: o.entity_id } });
    expect(c).toEqual({ status: 200, body: true });
    expect((await call<Order>(sim, 'GET', `/rest/default/V1/orders/${o.entity_id}`)).body.status_histories[0]!.comment).toBe('Shipped from Amazon');
    expect((await call(sim, 'POST', `/rest/default/V1/orders/${o.entity_id}/cancel`)).body).toBe(true);
    expect((await call(sim, 'POST', `/rest/default/V1/orders/${o.entity_id}/cancel`)).body).toBe(false);
    expect(sim.state.ordersById.get(o.entity_id)!.state).toBe('canceled');
  });
});
