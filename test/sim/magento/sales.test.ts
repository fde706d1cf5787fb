// Shipments, invoices and stock reservations as Magento keeps them: per-item quantity checks on
// POST /V1/order/{id}/ship, configurable parent/child rows, tracks, and salable = source qty + reservations
// (placed at checkout, compensated at shipment and cancel).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMagentoSim, type MagentoSim } from './index.ts';
import { call, criteria } from './client.ts';
import type { Order } from './state.ts';

let sim: MagentoSim;
beforeAll(async () => {
  sim = await startMagentoSim({ seed: { simples: 10, configurables: 2, orders: 30, customers: 3, openOrderReservations: true } });
});
afterAll(async () => {
  expect(sim.violations).toEqual([]);
  await sim.stop();
});

type List<T> = { items: T[]; total_count: number };
type ShipmentJson = { entity_id: number; order_id: number; items: { order_item_id: number; qty: number; sku: string }[]; tracks: { track_number: string; carrier_code: string; title: string }[] };

const address = { firstname: 'Grace', lastname: 'Hopper', street: ['2 Compiler Road'], city: 'Austin', postcode: '78701', country_id: 'US', telephone: '555', region: 'Texas', region_id: 57, region_code: 'TX', email: 'grace@example.com' };

/** Places an order through guest checkout: the route that reserves stock. */
async function checkout(lines: [sku: string, qty: number][]): Promise<Order> {
  const cart = (await call<string>(sim, 'POST', '/rest/default/V1/guest-carts')).body;
  for (const [sku, qty] of lines) {
    const r = await call(sim, 'POST', `/rest/default/V1/guest-carts/${cart}/items`, { cartItem: { sku, qty, quote_id: cart } });
    expect(r.status).toBe(200);
  }
  const si = await call<{ totals: { grand_total: number } }>(sim, 'POST', `/rest/default/V1/guest-carts/${cart}/shipping-information`, { addressInformation: { shipping_address: address, billing_address: address, shipping_method_code: 'flatrate', shipping_carrier_code: 'flatrate' } });
  expect(si.status).toBe(200);
  const placed = await call<number>(sim, 'POST', `/rest/default/V1/guest-carts/${cart}/payment-information`, { email: 'grace@example.com', paymentMethod: { method: 'checkmo' } });
  expect(placed.status).toBe(200);
  return sim.state.ordersById.get(placed.body)!;
}

describe('reservations', () => {
  test('seeded open orders hold their reservations: salable is below the source quantity', async () => {
    const open = sim.state.orders.filter((o) => o.state === 'new' || o.state === 'processing');
    expect(open.length).toBeGreaterThan(0);
    const item = open[0]!.items.find((i) => i.product_type === 'simple')!;
    const expected = open.flatMap((o) => o.items).filter((i) => i.product_type === 'simple' && i.sku === item.sku).reduce((n, i) => n - i.qty_ordered, 0);
    expect(sim.state.reserved(item.sku, 1)).toBe(expected);
    const r = await call<number>(sim, 'GET', `/rest/default/V1/inventory/get-product-salable-quantity/${item.sku}/1`);
    expect(r.body).toBe(sim.state.legacyQty(item.sku) + expected);
    const quiet = await startMagentoSim({ seed: { simples: 10, configurables: 2, orders: 30, customers: 3 } });
    try {
      expect(quiet.state.reservations).toEqual([]);
    } finally {
      await quiet.stop();
    }
  });

  test('checkout reserves; shipment deducts the source and compensates; cancel gives the rest back', async () => {
    // seeded open orders already hold reservations: compare against them
    const seeded = sim.state.reserved('SIM-000002', 1);
    sim.state.setSourceQty('SIM-000002', 'default', 10 - seeded, false);
    const salable = () => call<number>(sim, 'GET', '/rest/default/V1/inventory/get-product-salable-quantity/SIM-000002/1').then((r) => r.body);
    expect(await salable()).toBe(10);
    const o = await checkout([['SIM-000002', 3]]);
    expect(await salable()).toBe(7);
    expect(sim.state.legacyQty('SIM-000002')).toBe(10 - seeded);
    const item = o.items[0]!;
    expect((await call(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/ship`, { items: [{ order_item_id: item.item_id, qty: 1 }] })).status).toBe(200);
    expect(sim.state.legacyQty('SIM-000002')).toBe(9 - seeded);
    expect(await salable()).toBe(7);
    expect((await call(sim, 'POST', `/rest/default/V1/orders/${o.entity_id}/cancel`)).body).toBe(true);
    expect(await salable()).toBe(9);
    const mine = sim.state.reservations.filter((r) => r.sku === 'SIM-000002' && JSON.parse(r.metadata).object_id === String(o.entity_id));
    expect(mine.map((r) => [JSON.parse(r.metadata).event_type, r.quantity])).toEqual([['order_placed', -3], ['shipment_created', 1], ['order_canceled', 2]]);
  });

  test('checkout refuses more than is salable', async () => {
    sim.state.setSourceQty('SIM-000003', 'default', 2 - sim.state.reserved('SIM-000003', 1), false);
    const cart = (await call<string>(sim, 'POST', '/rest/default/V1/guest-carts')).body;
    const r = await call(sim, 'POST', `/rest/default/V1/guest-carts/${cart}/items`, { cartItem: { sku: 'SIM-000003', qty: 3, quote_id: cart } });
    expect(r).toEqual({ status: 400, body: { message: 'The requested qty is not available' } });
  });

  test('an order saved through POST /V1/orders reserves nothing (no checkout ran); its shipment and cancel still move stock as MSI does', async () => {
    const seeded = sim.state.reserved('SIM-000004', 1);
    sim.state.setSourceQty('SIM-000004', 'default', 5, false);
    const before = sim.state.reservations.length;
    const entity = { customer_email: 'x@example.com', base_grand_total: 10, grand_total: 10, items: [{ sku: 'SIM-000004', qty_ordered: 3, price: 5 }], billing_address: { ...address, address_type: 'billing' }, payment: { method: 'checkmo' } };
    const saved = await call<{ entity_id: number; items: { item_id: number }[] }>(sim, 'PUT', '/rest/default/V1/orders/create', { entity });
    expect(saved.status).toBe(200);
    expect(sim.state.reservations.length).toBe(before);
    expect(sim.state.salable('SIM-000004', 1)).toBe(5 + seeded);
    // SourceDeductionProcessor deducts the source and compensates for any order, reserved or not
    expect((await call(sim, 'POST', `/rest/default/V1/order/${saved.body.entity_id}/ship`, { items: [{ order_item_id: saved.body.items[0]!.item_id, qty: 1 }] })).status).toBe(200);
    expect(sim.state.legacyQty('SIM-000004')).toBe(4);
    expect(sim.state.salable('SIM-000004', 1)).toBe(5 + seeded);
    // CancelOrderItemObserver gives back what is left, whether or not it was reserved
    expect((await call(sim, 'POST', `/rest/default/V1/orders/${saved.body.entity_id}/cancel`)).body).toBe(true);
    expect(sim.state.salable('SIM-000004', 1)).toBe(7 + seeded);
    const mine = sim.state.reservations.filter((r) => JSON.parse(r.metadata).object_id === String(saved.body.entity_id));
    expect(mine.map((r) => [JSON.parse(r.metadata).event_type, r.quantity])).toEqual([['shipment_created', 1], ['order_canceled', 2]]);
  });

  test('without MSI: checkout subtracts the stock item, a shipment touches no stock, a cancel adds back what is left', async () => {
    const legacy = await startMagentoSim({ msi: false, seed: { simples: 4, configurables: 0, orders: 0, customers: 1 } });
    try {
      legacy.state.setSourceQty('SIM-000001', 'default', 10, false);
      const cart = (await call<string>(legacy, 'POST', '/rest/default/V1/guest-carts')).body;
      expect((await call(legacy, 'POST', `/rest/default/V1/guest-carts/${cart}/items`, { cartItem: { sku: 'SIM-000001', qty: 3, quote_id: cart } })).status).toBe(200);
      expect((await call(legacy, 'POST', `/rest/default/V1/guest-carts/${cart}/shipping-information`, { addressInformation: { shipping_address: address, billing_address: address, shipping_method_code: 'flatrate', shipping_carrier_code: 'flatrate' } })).status).toBe(200);
      const placed = await call<number>(legacy, 'POST', `/rest/default/V1/guest-carts/${cart}/payment-information`, { email: 'grace@example.com', paymentMethod: { method: 'checkmo' } });
      expect(placed.status).toBe(200);
      const stockQty = async () => (await call<{ qty: number }>(legacy, 'GET', '/rest/default/V1/stockItems/SIM-000001')).body.qty;
      expect(await stockQty()).toBe(7);
      const o = legacy.state.ordersById.get(placed.body)!;
      expect((await call(legacy, 'POST', `/rest/default/V1/order/${o.entity_id}/ship`, { items: [{ order_item_id: o.items[0]!.item_id, qty: 1 }] })).status).toBe(200);
      expect(await stockQty()).toBe(7);
      expect((await call(legacy, 'POST', `/rest/default/V1/orders/${o.entity_id}/cancel`)).body).toBe(true);
      expect(await stockQty()).toBe(9);
      expect(legacy.state.reservations).toEqual([]);
      expect(legacy.violations).toEqual([]);
    } finally {
      await legacy.stop();
    }
  });
});

describe('shipments', () => {
  test('cannot ship more than ordered minus shipped: 400 with Magento\'s message, nothing created', async () => {
    sim.state.setSourceQty('SIM-000005', 'default', 50 - sim.state.reserved('SIM-000005', 1), false);
    const o = await checkout([['SIM-000005', 2]]);
    const itemId = o.items[0]!.item_id;
    const before = sim.state.shipments.length;
    const over = await call(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/ship`, { items: [{ order_item_id: itemId, qty: 3 }] });
    expect(over).toEqual({
      status: 400,
      body: { message: 'Shipment Document Validation Error(s):\nThe quantity to ship must not be greater than the unshipped quantity for product SKU "SIM-000005".\nYou can\'t create a shipment without products.' },
    });
    expect(sim.state.shipments.length).toBe(before);
    const ok = await call<number>(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/ship`, { items: [{ order_item_id: itemId, qty: 2 }], tracks: [{ track_number: '1Z999', title: 'UPS', carrier_code: 'ups' }] });
    expect(ok.status).toBe(200);
    const again = await call<{ message: string }>(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/ship`, { items: [{ order_item_id: itemId, qty: 1 }] });
    expect(again.status).toBe(400);
    expect(again.body.message).toContain('The order does not allow a shipment to be created.');
    const s = await call<ShipmentJson>(sim, 'GET', `/rest/default/V1/shipment/${ok.body}`);
    expect(s.body.tracks).toEqual([expect.objectContaining({ track_number: '1Z999', carrier_code: 'ups', title: 'UPS' })]);
    const list = await call<List<ShipmentJson>>(sim, 'GET', `/rest/default/V1/shipments?${criteria({ groups: [[['order_id', String(o.entity_id)]]] })}`);
    expect(list.body.items.map((x) => x.entity_id)).toEqual([ok.body]);
    expect(sim.state.shipmentsOf(o.entity_id)).toHaveLength(1);
  });

  test('a configurable line ships through its parent row (the child row is a dummy); empty items ships everything', async () => {
    sim.state.setSourceQty('SIM-000006', 'default', 20 - sim.state.reserved('SIM-000006', 1), false);
    const sku = sim.state.products.find((p) => p.sku.startsWith('CFG-000002-'))!.sku;
    sim.state.setSourceQty(sku, 'default', 20 - sim.state.reserved(sku, 1), false);
    const o = await checkout([[sku, 2], ['SIM-000006', 1]]);
    const parent = o.items.find((i) => i.product_type === 'configurable')!;
    const child = o.items.find((i) => i.parent_item_id === parent.item_id)!;
    expect(child.sku).toBe(sku);
    const viaChild = await call(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/ship`, { items: [{ order_item_id: child.item_id, qty: 1 }] });
    expect(viaChild.status).toBe(200);
    expect(parent.qty_shipped).toBe(1);
    expect(child.qty_shipped).toBe(1);
    const rest = await call<number>(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/ship`, {});
    expect(rest.status).toBe(200);
    const s = sim.state.shipments.find((x) => x.entity_id === rest.body)!;
    expect(s.items.map((i) => [i.sku, i.qty])).toEqual([[sku, 1], ['SIM-000006', 1]]);
    expect(sim.state.ordersById.get(o.entity_id)!.state).toBe('processing');
    expect((await call(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/invoice`, { capture: true })).status).toBe(200);
    expect(sim.state.ordersById.get(o.entity_id)!.state).toBe('complete');
  });

  test('a canceled order cannot be shipped; an unknown order is a 404', async () => {
    const o = sim.state.orders.find((x) => x.state === 'canceled')!;
    const r = await call<{ message: string }>(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/ship`, {});
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^Shipment Document Validation Error\(s\):\nThe order does not allow a shipment to be created\./);
    expect((await call(sim, 'POST', '/rest/default/V1/order/987654/ship', {})).status).toBe(404);
  });

  test('tracks can be added to an existing shipment', async () => {
    const s = sim.state.shipments[0]!;
    const r = await call<{ entity_id: number }>(sim, 'POST', '/rest/default/V1/shipment/track', { entity: { order_id: s.order_id, parent_id: s.entity_id, track_number: 'TRK-2', title: 'DHL', carrier_code: 'dhl', weight: 0, qty: 0, description: '' } });
    expect(r.status).toBe(200);
    expect(sim.state.shipments[0]!.tracks.map((t) => t.track_number)).toContain('TRK-2');
  });
});

describe('invoices and customers', () => {
  test('invoices list and get; invoicing twice is refused', async () => {
    const o = sim.state.orders.find((x) => x.state === 'new')!;
    const id = await call<number>(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/invoice`, {});
    expect(id.status).toBe(200);
    const inv = await call<{ grand_total: number; order_id: number }>(sim, 'GET', `/rest/default/V1/invoices/${id.body}`);
    expect(inv.body.order_id).toBe(o.entity_id);
    expect(inv.body.grand_total).toBe(o.grand_total);
    expect((await call(sim, 'POST', `/rest/default/V1/order/${o.entity_id}/invoice`, {})).status).toBe(400);
    const list = await call<List<{ entity_id: number }>>(sim, 'GET', `/rest/default/V1/invoices?${criteria({ groups: [[['order_id', String(o.entity_id)]]] })}`);
    expect(list.body.items.map((i) => i.entity_id)).toEqual([id.body]);
  });

  test('customers/search by email and updated_at', async () => {
    const c = sim.state.customers[1]!;
    const r = await call<List<{ id: number; email: string; addresses: unknown[] }>>(sim, 'GET', `/rest/default/V1/customers/search?${criteria({ groups: [[['email', c.email]]] })}`);
    expect(r.body.items.map((x) => x.id)).toEqual([c.id]);
    expect(r.body.items[0]!.addresses).toHaveLength(1);
  });
});
