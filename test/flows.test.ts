// The cross-channel flows end to end, through the REST API, with two scripted upstreams playing a store
// and a marketplace on the scripted_shop channel (which no flow names): order import with exact totals
// and stock taken once, stock carried to the marketplace by the profile's rules, partial shipments
// confirmed once each, unresolvable SKUs and an oversell race in the exception list.
import { afterEach, describe, expect, test } from 'vitest';
import { exceptions, flowsFixture, ordersNumbered, post, sell, sync, waitForStock, type FlowsFixture } from './support/flows-harness.ts';
import { json, listAll, waitFor } from './support/sync-harness.ts';

let fx: FlowsFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const profileBody = {
  name: 'Store to marketplace',
  rules: { inventory: { buffer: 1, percentage: 100, min: 0 }, customer: { policy: 'guest' }, carriers: { dhl: 'DHL_DE' }, cancellations: 'automatic' },
};

async function links(f: FlowsFixture, flows: string[], profileId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const flow of flows) {
    const toMarket = flow !== 'order_import';
    const body = {
      name: flow,
      flow,
      source_connection_id: toMarket ? f.store.id : f.market.id,
      targets: [{ connection_id: toMarket ? f.market.id : f.store.id }],
      profile_id: profileId,
      interval_sec: 30,
      options: { debounce_ms: 100, import_orders_placed_after: new Date(Date.now() - 60_000).toISOString() },
    };
    out[flow] = (await post(f.gw, '/v1/links', body)).id;
  }
  return out;
}

async function initialPulls(f: FlowsFixture): Promise<void> {
  await waitFor('both sides pulled', async () => {
    const [a, b] = await Promise.all([listAll(f.gw, `/v1/inventory?connection_id=${f.store.id}`), listAll(f.gw, `/v1/products?connection_id=${f.market.id}`)]);
    return a.length === 6 && b.length === 6;
  });
}

describe('order import, inventory sync and fulfillment between a store and a marketplace', () => {
  test('a marketplace sale becomes one store order with exact totals; stock follows by the rules; two partial shipments are confirmed once each', { timeout: 60_000 }, async () => {
    fx = await flowsFixture();
    const f = fx;
    await initialPulls(f);
    const profile = await post(f.gw, '/v1/profiles', profileBody);
    await links(f, ['inventory_sync', 'order_import', 'fulfillment_confirmation'], profile.id);

    // Stock: store SKU-1 has 37 on hand, 1 reserved: 36 available, minus a buffer of 1.
    await waitForStock(f.market.sim, 'SKU-1', 35);
    await waitForStock(f.market.sim, 'SKU-3', 110);
    // SKU-0 has nothing: 0 is published (not a negative number, not nothing).
    await waitForStock(f.market.sim, 'SKU-0', 0);

    // A sale on the marketplace: 3 of SKU-2 at 12.50 and 1 of SKU-4 at 7.25, shipping 4.90, tax 2.00.
    const sale = sell(f.market.sim, [{ sku: 'SKU-2', qty: 3, price: '12.50' }, { sku: 'SKU-4', qty: 1, price: '7.25' }]);
    await sync(f.gw, f.market.id, ['orders']);
    const [imported] = await waitFor('the order in the store', () => (ordersNumbered(f.store.sim, sale.number).length ? ordersNumbered(f.store.sim, sale.number) : undefined));
    expect({ subtotal: imported!.subtotal, shipping: imported!.shipping_amount, tax: imported!.tax_amount, total: imported!.grand_total, customer: imported!.customer }).toEqual({
      subtotal: sale.subtotal,
      shipping: '4.90',
      tax: '2.00',
      total: sale.grand_total,
      customer: { id: null, email: 'buyer@example.com', name: 'Ada Buyer' },
    });
    expect(imported!.items.map((i) => [i.sku, i.qty_ordered, i.price])).toEqual([['SKU-2', 3, '12.50'], ['SKU-4', 1, '7.25']]);
    // Stock decremented once in the store (74 -> 71) and the marketplace follows: 71 - 2 reserved - 1 buffer.
    expect(f.store.sim.state.inventory.get('SKU-2@default')!.quantity).toBe(71);
    await waitForStock(f.market.sim, 'SKU-2', 68);

    // The store ships one unit of SKU-2 now, the rest later, through the write API.
    const storeOrder = await waitFor('the store order mirrored', async () => (await listAll(f.gw, `/v1/orders?connection_id=${f.store.id}`)).find((o) => o.order_number === sale.number));
    const first = await f.gw.call(`/v1/orders/${storeOrder.id}/shipments`, { method: 'POST', headers: { 'idempotency-key': 'ship-1' }, body: JSON.stringify({ lines: [{ sku: 'SKU-2', quantity: 1 }], carrier: 'dhl', tracking_number: 'TRK-1' }) });
    expect([200, 202]).toContain(first.status);
    // The same request again (a client retry) is the same operation.
    const again = await json(f.gw.call(`/v1/orders/${storeOrder.id}/shipments`, { method: 'POST', headers: { 'idempotency-key': 'ship-1' }, body: JSON.stringify({ lines: [{ sku: 'SKU-2', quantity: 1 }], carrier: 'dhl', tracking_number: 'TRK-1' }) }));
    expect(again.id).toBe((await json(first)).id);
    await waitFor('first confirmation on the marketplace', () => f.market.sim.state.orders.get(sale.id)!.shipments.length === 1);
    const second = await f.gw.call(`/v1/orders/${storeOrder.id}/shipments`, { method: 'POST', headers: { 'idempotency-key': 'ship-2' }, body: JSON.stringify({ lines: [{ sku: 'SKU-2', quantity: 2 }, { sku: 'SKU-4', quantity: 1 }], carrier: 'dhl', tracking_number: 'TRK-2' }) });
    expect([200, 202]).toContain(second.status);
    await waitFor('both confirmations on the marketplace', () => f.market.sim.state.orders.get(sale.id)!.shipments.length === 2);
    const m = f.market.sim.state.orders.get(sale.id)!;
    expect(m.shipments.map((s) => [s.carrier, s.tracking_number, s.items.map((i) => [i.item_id, i.qty])])).toEqual([
      ['DHL_DE', 'TRK-1', [[`${sale.id}-1`, 1]]],
      ['DHL_DE', 'TRK-2', [[`${sale.id}-1`, 2], [`${sale.id}-2`, 1]]],
    ]);
    expect(m.status).toBe('complete');

    // Once: one store order, one effect per key on both sides, after more pulls of everything.
    await sync(f.gw, f.market.id, ['orders']);
    await sync(f.gw, f.store.id, ['orders', 'shipments', 'inventory']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ordersNumbered(f.store.sim, sale.number)).toHaveLength(1);
    expect(f.market.sim.state.orders.get(sale.id)!.shipments).toHaveLength(2);
    expect(f.store.sim.state.duplicateEffects()).toEqual([]);
    expect(f.market.sim.state.duplicateEffects()).toEqual([]);
    expect(await exceptions(f.gw, 'state=open')).toEqual([]);
  });
});

describe('what the flows cannot do by themselves', () => {
  test('an order with an unknown SKU is held with its reason, not dropped; once the profile maps the SKU it is imported once', { timeout: 60_000 }, async () => {
    fx = await flowsFixture();
    const f = fx;
    await initialPulls(f);
    const profile = await post(f.gw, '/v1/profiles', profileBody);
    const l = await links(f, ['order_import'], profile.id);
    const sale = sell(f.market.sim, [{ sku: 'MK-UNKNOWN', qty: 1, price: '9.99' }]);
    await sync(f.gw, f.market.id, ['orders']);
    const [held] = await waitFor('the order held', async () => {
      const open = await exceptions(f.gw, 'state=open&kind=unresolved_sku');
      return open.length ? open : undefined;
    });
    expect(held.link_id).toBe(l.order_import);
    expect(held.reason).toMatch(new RegExp(`order ${sale.number}: line ${sale.id}-1: no product with SKU MK-UNKNOWN`));
    expect(ordersNumbered(f.store.sim, sale.number)).toHaveLength(0);
    // Another pull of the same order keeps one exception, still no order.
    await sync(f.gw, f.market.id, ['orders']);
    await new Promise((r) => setTimeout(r, 800));
    expect(await exceptions(f.gw, 'kind=unresolved_sku')).toHaveLength(1);

    // The merchant maps the marketplace SKU to a store SKU: the order goes through, the exception closes.
    const patched = await f.gw.call(`/v1/profiles/${profile.id}`, { method: 'PATCH', body: JSON.stringify({ rules: { ...profileBody.rules, identifiers: { sku_map: { 'MK-UNKNOWN': 'SKU-3' } } } }) });
    expect(patched.status).toBe(200);
    const [created] = await waitFor('the order imported', () => (ordersNumbered(f.store.sim, sale.number).length ? ordersNumbered(f.store.sim, sale.number) : undefined));
    expect(created!.items.map((i) => [i.sku, i.qty_ordered, i.price])).toEqual([['SKU-3', 1, '9.99']]);
    await waitFor('the exception resolved', async () => (await exceptions(f.gw, 'state=open')).length === 0);
    expect(f.store.sim.state.duplicateEffects()).toEqual([]);
  });

  test('two near-simultaneous sales of the last unit: stock 0 everywhere, the oversell in the exception list', { timeout: 60_000 }, async () => {
    // The last unit of SKU-5 in the store.
    fx = await flowsFixture({
      prepare: (store) =>
        void store.state.update('inventory', 'SKU-5@default', (l) => {
          l.quantity = 1;
          l.reserved = 0;
        }),
    });
    const f = fx;
    await initialPulls(f);
    const profile = await post(f.gw, '/v1/profiles', { name: 'no buffer', rules: { inventory: { buffer: 0 } } });
    await links(f, ['inventory_sync', 'order_import'], profile.id);
    await waitForStock(f.market.sim, 'SKU-5', 1);

    // The store sells it (its stock goes to 0), and at the same moment the marketplace sells it too.
    sell(f.store.sim, [{ sku: 'SKU-5', qty: 1, price: '20.00' }]);
    f.store.sim.state.update('inventory', 'SKU-5@default', (l) => void (l.quantity = 0));
    const sale = sell(f.market.sim, [{ sku: 'SKU-5', qty: 1, price: '21.00' }]);
    f.market.sim.state.update('inventory', 'SKU-5@default', (l) => {
      l.quantity = 0;
      l.reserved = 0;
    });
    await Promise.all([sync(f.gw, f.market.id, ['orders', 'inventory']), sync(f.gw, f.store.id, ['orders', 'inventory'])]);

    await waitFor('the marketplace order in the store', () => ordersNumbered(f.store.sim, sale.number).length === 1);
    const [oversell] = await waitFor('the oversell listed', async () => {
      const list = await exceptions(f.gw, 'kind=oversell&state=open');
      return list.length ? list : undefined;
    });
    expect(oversell).toMatchObject({ subject: 'sku:SKU-5', details: { sku: 'SKU-5', available: 0 } });
    await sync(f.gw, f.store.id, ['inventory']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(f.store.sim.state.inventory.get('SKU-5@default')!.quantity).toBe(0);
    expect(f.market.sim.state.inventory.get('SKU-5@default')!.quantity).toBe(0);
    const levels = await listAll(f.gw, '/v1/inventory?sku=SKU-5');
    expect(levels.map((x) => x.available)).toEqual([0, 0]);
    expect(ordersNumbered(f.store.sim, sale.number)).toHaveLength(1);
  });

  test('a confirmation the marketplace refuses is listed once and not retried; cancellations go through once and stock comes back once', { timeout: 60_000 }, async () => {
    fx = await flowsFixture();
    const f = fx;
    await initialPulls(f);
    const profile = await post(f.gw, '/v1/profiles', profileBody);
    await links(f, ['order_import', 'fulfillment_confirmation', 'cancellation'], profile.id);
    const a = sell(f.market.sim, [{ sku: 'SKU-3', qty: 2, price: '5.00' }]);
    const b = sell(f.market.sim, [{ sku: 'SKU-4', qty: 1, price: '6.00' }]);
    await sync(f.gw, f.market.id, ['orders']);
    await waitFor('both imported', () => ordersNumbered(f.store.sim, a.number).length === 1 && ordersNumbered(f.store.sim, b.number).length === 1);
    expect(f.store.sim.state.inventory.get('SKU-3@default')!.quantity).toBe(109);

    // The marketplace cancels order A.
    f.market.sim.state.update('orders', a.id, (o) => {
      o.status = 'canceled';
      for (const it of o.items) it.qty_canceled = it.qty_ordered;
    });
    await sync(f.gw, f.market.id, ['orders']);
    // Automatic cancellation: store order A is canceled once and its 2 units come back once.
    const storeA = ordersNumbered(f.store.sim, a.number)[0]!;
    await waitFor('store order A canceled', () => f.store.sim.state.orders.get(storeA.id)!.status === 'canceled');
    expect(f.store.sim.state.inventory.get('SKU-3@default')!.quantity).toBe(111);

    const storeB = ordersNumbered(f.store.sim, b.number)[0]!;
    // The marketplace closed B on its side (nothing we pull again here); the store ships B: the
    // marketplace refuses the confirmation.
    f.market.sim.state.orders.get(b.id)!.status = 'closed';
    const mirrored = await waitFor('store order B mirrored', async () => (await listAll(f.gw, `/v1/orders?connection_id=${f.store.id}`)).find((o) => o.external_id === storeB.id));
    f.store.sim.state.update('orders', storeB.id, (o) => {
      o.items[0]!.qty_shipped = 1;
      o.status = 'complete';
      o.shipments.push({ id: 'SH-B', items: [{ item_id: o.items[0]!.id, sku: 'SKU-4', qty: 1 }], carrier: 'dhl', tracking_number: 'TRK-B', created_at: new Date().toISOString() });
    });
    await sync(f.gw, f.store.id, ['orders', 'shipments']);
    const [refused] = await waitFor('the refusal listed', async () => {
      const list = await exceptions(f.gw, 'kind=confirmation_rejected');
      return list.length ? list : undefined;
    });
    expect(refused.reason).toMatch(/refused the shipment confirmation/);
    expect(mirrored.id).toBeTruthy();
    const attempts = f.market.sim.state.log.filter((r) => r.route === 'shipments.create').length;
    expect(attempts).toBe(1);
    await sync(f.gw, f.store.id, ['orders', 'shipments']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(f.market.sim.state.log.filter((r) => r.route === 'shipments.create').length).toBe(1);
    expect((await exceptions(f.gw, 'kind=confirmation_rejected')).length).toBe(1);
    // The canceled marketplace order canceled its store order once.
    expect(f.store.sim.state.effectLog.filter((e) => e.route === 'orders.cancel').map((e) => e.target)).toEqual([`orders/${storeA.id}/cancel`]);
    expect(f.store.sim.state.duplicateEffects()).toEqual([]);
    expect(f.store.sim.state.inventory.get('SKU-3@default')!.quantity).toBe(111);
  });
});

describe('stock changes from the write API', () => {
  test('a burst of stock changes in the store (REST and GraphQL) reaches the marketplace as its last value, in fewer writes than changes', { timeout: 60_000 }, async () => {
    fx = await flowsFixture();
    const f = fx;
    await initialPulls(f);
    const profile = await post(f.gw, '/v1/profiles', { name: 'p', rules: { inventory: { buffer: 0, percentage: 50, min: 2 } } });
    await post(f.gw, '/v1/links', { name: 'stock', flow: 'inventory_sync', source_connection_id: f.store.id, targets: [{ connection_id: f.market.id }], profile_id: profile.id, options: { debounce_ms: 2000 } });
    // 111 available, half of it offered.
    await waitForStock(f.market.sim, 'SKU-3', 55);
    const before = f.market.sim.state.effectLog.filter((e) => e.target === 'inventory/SKU-3@default').length;
    for (const [i, available] of [40, 30, 20].entries()) {
      const res = await f.gw.call('/v1/inventory/SKU-3', { method: 'PUT', headers: { 'idempotency-key': `stock-${i}` }, body: JSON.stringify({ connection_id: f.store.id, available }) });
      expect([200, 202], await res.clone().text()).toContain(res.status);
    }
    for (const [i, available] of [12, 9].entries()) {
      const res = await json(
        f.gw.call('/graphql', {
          method: 'POST',
          body: JSON.stringify({
            query: 'mutation($sku: String!, $c: ID!, $n: Int!, $k: String) { setInventory(sku: $sku, connection_id: $c, available: $n, idempotency_key: $k) { id kind state } }',
            variables: { sku: 'SKU-3', c: f.store.id, n: available, k: `gql-stock-${i}` },
          }),
        }),
      );
      expect(res.errors).toBeUndefined();
      expect(res.data.setInventory.kind).toBe('inventory.set');
    }
    // 9 available, half is 4 (rounded down), at least 2: 4 on the marketplace.
    await waitForStock(f.market.sim, 'SKU-3', 4);
    await new Promise((r) => setTimeout(r, 2500));
    expect(f.market.sim.state.inventory.get('SKU-3@default')!.quantity).toBe(4);
    const writes = f.market.sim.state.effectLog.filter((e) => e.target === 'inventory/SKU-3@default').length - before;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThan(5);
    // Below the minimum, 0 is offered: 3 available, half is 1, under min 2.
    await f.gw.call('/v1/inventory/SKU-3', { method: 'PUT', headers: { 'idempotency-key': 'stock-low' }, body: JSON.stringify({ connection_id: f.store.id, available: 3 }) });
    await waitForStock(f.market.sim, 'SKU-3', 0);
    expect(f.store.sim.state.duplicateEffects()).toEqual([]);
    expect(f.market.sim.state.duplicateEffects()).toEqual([]);
  });
});

describe('marketplace-fulfilled stock and orders', () => {
  test('stock the marketplace holds is never overwritten; its orders are imported without touching store stock when the link asks', { timeout: 60_000 }, async () => {
    fx = await flowsFixture({
      prepare: (_store, market) => void market.state.update('inventory', 'SKU-1@default', (l) => {
        l.fulfillment = 'marketplace';
        l.quantity = 500;
      }),
    });
    const f = fx;
    await initialPulls(f);
    const profile = await post(f.gw, '/v1/profiles', profileBody);
    await post(f.gw, '/v1/links', { name: 'stock', flow: 'inventory_sync', source_connection_id: f.store.id, targets: [{ connection_id: f.market.id }], profile_id: profile.id, options: { debounce_ms: 100 } });
    await post(f.gw, '/v1/links', {
      name: 'orders',
      flow: 'order_import',
      source_connection_id: f.market.id,
      targets: [{ connection_id: f.store.id }],
      profile_id: profile.id,
      options: { debounce_ms: 100, marketplace_fulfilled: 'import_without_stock', import_orders_placed_after: new Date(Date.now() - 60_000).toISOString() },
    });
    await waitForStock(f.market.sim, 'SKU-3', 110);
    const storeStock = f.store.sim.state.inventory.get('SKU-1@default')!.quantity;
    const sale = sell(f.market.sim, [{ sku: 'SKU-1', qty: 2, price: '15.00' }], { fulfillment: 'marketplace' });
    await sync(f.gw, f.market.id, ['orders']);
    const [imported] = await waitFor('the marketplace-fulfilled order in the store', () => (ordersNumbered(f.store.sim, sale.number).length ? ordersNumbered(f.store.sim, sale.number) : undefined));
    expect(imported!.fulfillment).toBe('marketplace');
    await sync(f.gw, f.store.id, ['inventory']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(f.store.sim.state.inventory.get('SKU-1@default')!.quantity).toBe(storeStock);
    expect(f.market.sim.state.inventory.get('SKU-1@default')!.quantity).toBe(500);
    expect(f.market.sim.state.effectLog.filter((e) => e.target === 'inventory/SKU-1@default')).toEqual([]);
    expect(await exceptions(f.gw, 'state=open')).toEqual([]);
  });
});
