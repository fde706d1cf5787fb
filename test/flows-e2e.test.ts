// The flows between the Magento and Amazon simulators through the REST API: an Amazon order imported
// into Magento with Amazon's totals, and Magento stock carried to the Amazon listing by the rules. The
// flows name neither channel; the profile maps the Amazon SKU to the Magento one. Two partial Magento
// shipments, each sent twice by the client, are confirmed on Amazon once each through 429s and a 503; the
// first Magento order create is applied with its answer lost, and a replayed Amazon pull imports nothing again.
// Magento reserves no stock for an order saved over REST: the import takes the sold quantity off Magento's
// stock once (not again on the retry, the replay or the shipments), and the lower stock reaches Amazon.
import { afterEach, describe, expect, test } from 'vitest';
import { startSimsWorld } from './support/sims.ts';
import { post } from './support/flows-harness.ts';
import { listAll, requestSync, waitFor, waitForPulls } from './support/sync-harness.ts';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('Amazon and Magento simulators', () => {
  test('an Amazon order becomes one Magento order with Amazon\'s totals; Magento stock reaches the Amazon listing; two partial shipments are each confirmed once through 429s and a 503', { timeout: 120_000 }, async () => {
    const w = await startSimsWorld({ magento: { seed: { simples: 8, configurables: 0, orders: 0, customers: 2, categories: 2 } }, amazon: { seed: { listings: 6, orders: 0, fbaInventory: 0, seed: 7 } } });
    stop = w.close;
    const { mg, az, gw, magento, amazon } = w;
    await gw.engine.startWorkers(4);
    const mSku = mg.state.products.find((p) => p.type_id === 'simple')!.sku;
    // In stock, so that the sale's deduction shows in the salable quantity and on Amazon.
    mg.state.setSourceQty(mSku, 'default', 25, false);
    const aSku = [...az.state.listings.values()].find((l) => az.state.quantityOf(l.sku) !== null)!.sku;
    await waitFor('both sides pulled', async () => (await listAll(gw, `/v1/products?connection_id=${amazon.id}`)).length > 0 && (await listAll(gw, `/v1/inventory?connection_id=${magento.id}`)).length > 0, 60_000);

    const profile = await post(gw, '/v1/profiles', { name: 'Magento to Amazon', rules: { inventory: { buffer: 2 }, identifiers: { sku_map: { [aSku]: mSku } }, customer: { policy: 'guest' } } });
    await post(gw, '/v1/links', { name: 'stock', flow: 'inventory_sync', source_connection_id: magento.id, targets: [{ connection_id: amazon.id }], profile_id: profile.id, options: { debounce_ms: 100 } });
    await post(gw, '/v1/links', { name: 'orders', flow: 'order_import', source_connection_id: amazon.id, targets: [{ connection_id: magento.id }], profile_id: profile.id, options: { debounce_ms: 100, import_orders_placed_after: new Date(Date.now() - 3_600_000).toISOString() } });

    // Stock: Magento's salable quantity of mSku minus the buffer, on the Amazon SKU mapped to it.
    const level = await waitFor('Magento stock mirrored', async () => (await listAll(gw, `/v1/inventory?connection_id=${magento.id}&sku=${encodeURIComponent(mSku)}`))[0]);
    const expected = Math.max(0, level.available - 2);
    await waitFor(`Amazon quantity of ${aSku} at ${expected}`, () => az.state.quantityOf(aSku) === expected, 60_000);

    // An Amazon order placed three minutes ago (outside the two-minute lag): imported into Magento.
    // Magento applies the first order create but its answer is lost; the import must not create a second.
    const salableBefore = mg.state.salable(mSku, 1);
    const sourceBefore = mg.state.sourceItem(mSku, 'default')!.quantity;
    mg.faults.loseAnswerNext(1, 'POST /V1/orders');
    const order = az.state.placeOrder({ items: [{ sku: aSku, quantity: 2, unitPrice: '12.50' }], createdTime: Date.now() - 180_000 });
    await post(gw, `/v1/connections/${amazon.id}/sync`, { entities: ['orders'] }, 202);
    const imported = await waitFor('the order in Magento', () => mg.state.orders.find((o) => o.ext_order_id === order.orderId || JSON.stringify(o.extra ?? {}).includes(order.orderId) || o.items.some((i) => i.sku === mSku)), 60_000);
    const azOrder = (await listAll(gw, `/v1/orders?connection_id=${amazon.id}`)).find((o) => o.external_id === order.orderId);
    expect(imported.grand_total.toFixed(2)).toBe(azOrder.totals.total.amount);
    expect(mg.state.orders.filter((o) => o.items.some((i) => i.sku === mSku))).toHaveLength(1);
    // A replayed full pull of Amazon's orders imports nothing again.
    await waitForPulls(gw, amazon.id, await requestSync(gw, amazon.id, { entities: ['orders'], full: true }), ['orders'], 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(mg.state.orders.filter((o) => o.items.some((i) => i.sku === mSku))).toHaveLength(1);
    const creates = mg.requests.filter((r) => r.method === 'POST' && /\/V1\/orders$/.test(r.path));
    expect(creates[0]?.status, 'the first create was applied and its answer lost').toBe(0);
    // Sold 2 on Amazon: Magento's salable quantity of mSku is 2 lower, once (the create was retried and the
    // pull replayed); the order's history holds one stock plan and one done note.
    await waitFor('the sold quantity taken off Magento stock', () => mg.state.salable(mSku, 1) === salableBefore - 2, 30_000);
    expect(mg.state.sourceItem(mSku, 'default')!.quantity).toBe(sourceBefore - 2);
    expect(mg.requests.filter((r) => r.method === 'POST' && r.path.includes('/V1/inventory/source-items') && r.status === 200)).toHaveLength(1);
    const stockNotes = () => imported.comments.filter((c) => /\[sy-stock-[0-9a-f]+(:done)?\]/.test(c.comment)).map((c) => (c.comment.includes(':done]') ? 'done' : 'plan'));
    expect(stockNotes()).toEqual(['plan', 'done']);
    // The lower stock reaches the Amazon listing (salable less the buffer of 2).
    await post(gw, `/v1/connections/${magento.id}/sync`, { entities: ['inventory'] }, 202);
    await waitFor(`Amazon quantity of ${aSku} at ${Math.max(0, salableBefore - 4)}`, () => az.state.quantityOf(aSku) === Math.max(0, salableBefore - 4), 60_000);

    // Shipped in Magento in two parts, while Amazon answers confirmShipment with 429s and a 503: each
    // part is confirmed on Amazon exactly once.
    await post(gw, '/v1/links', { name: 'shipments', flow: 'fulfillment_confirmation', source_connection_id: magento.id, targets: [{ connection_id: amazon.id }], profile_id: profile.id, options: { debounce_ms: 100 } });
    // Magento is read a few seconds behind now: ask again until the new order is inside the window.
    let asked = 0;
    const mgOrder = await waitFor('the imported order read back from Magento', async () => {
      const found = (await listAll(gw, `/v1/orders?connection_id=${magento.id}`)).find((o) => o.external_id === String(imported.entity_id));
      if (!found && Date.now() - asked > 3000) {
        asked = Date.now();
        await post(gw, `/v1/connections/${magento.id}/sync`, { entities: ['orders'] }, 202);
      }
      return found;
    });
    az.faults.storm429(2, 'confirmShipment');
    az.faults.failNext(503, 1, 'confirmShipment');
    for (const [n, key] of [[1, 'first'], [2, 'second']] as const) {
      const body = { lines: [{ sku: mSku, quantity: 1 }], carrier: 'UPS', tracking_number: `1Z-E2E-${n}` };
      // The same request twice, as a client retrying after a lost answer would.
      for (let i = 0; i < 2; i++) {
        const res = await gw.call(`/v1/orders/${mgOrder.id}/shipments`, { method: 'POST', headers: { 'idempotency-key': `e2e-ship-${key}` }, body: JSON.stringify(body) });
        expect([200, 201, 202], await res.clone().text()).toContain(res.status);
      }
      await waitFor(`Magento shipment ${n}`, () => mg.state.shipments.filter((sh) => sh.order_id === imported.entity_id).length === n, 60_000);
    }
    asked = 0;
    await waitFor('both parts confirmed on Amazon', async () => {
      if (Date.now() - asked > 3000) {
        asked = Date.now();
        await post(gw, `/v1/connections/${magento.id}/sync`, { entities: ['shipments'] }, 202);
      }
      return (az.state.confirmations.get(order.orderId) ?? []).length === 2;
    }, 90_000);
    await new Promise((r) => setTimeout(r, 1500));
    await post(gw, `/v1/connections/${magento.id}/sync`, { entities: ['shipments'], full: true }, 202);
    await new Promise((r) => setTimeout(r, 2500));
    const confirmed = az.state.confirmations.get(order.orderId)!;
    expect(confirmed.map((c) => c.trackingNumber).sort()).toEqual(['1Z-E2E-1', '1Z-E2E-2']);
    expect(confirmed.every((c) => c.items.reduce((n, it) => n + it.quantity, 0) === 1)).toBe(true);
    expect(mg.state.shipments.filter((sh) => sh.order_id === imported.entity_id)).toHaveLength(2);
    // Shipping did not take the sold quantity off salable again: MSI deducted the source (2 more) and put
    // a +2 compensating reservation against it, and the import wrote no further stock.
    expect(mg.state.salable(mSku, 1)).toBe(salableBefore - 2);
    expect(mg.state.sourceItem(mSku, 'default')!.quantity).toBe(sourceBefore - 4);
    expect(stockNotes()).toEqual(['plan', 'done']);
    expect(mg.requests.filter((r) => r.method === 'POST' && r.path.includes('/V1/inventory/source-items') && r.status === 200)).toHaveLength(1);
    // The faults were met on the way.
    const confirmCalls = az.requests.filter((r) => r.operation === 'confirmShipment');
    expect(confirmCalls.filter((r) => r.status === 429)).toHaveLength(2);
    expect(confirmCalls.filter((r) => r.status === 503)).toHaveLength(1);
  });
});
