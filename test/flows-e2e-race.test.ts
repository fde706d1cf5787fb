// The flows between the Magento and Amazon simulators through the REST API, where the two channels act at
// once. The last unit sold on both channels at the same moment ends with nothing left to sell anywhere,
// the Amazon order imported once and one oversell in the exception list (not one per link that saw it).
// An Amazon order canceled after its import cancels the Magento order once, a replayed Amazon pull
// included, and its unit comes back once; a Magento cancel of an imported Amazon order is listed as an
// exception (the Amazon adapter cannot cancel a merchant-fulfilled order) and not tried again and again.
// Stock is asserted as the simulators show it: Amazon's listing quantity and Magento's salable quantity.
import { afterEach, describe, expect, test } from 'vitest';
import type { AmazonSim } from './sim/amazon/index.ts';
import type { SimOrder } from './sim/amazon/state.ts';
import { call } from './sim/magento/client.ts';
import type { MagentoSim } from './sim/magento/index.ts';
import type { Order as MagentoOrder } from './sim/magento/state.ts';
import type { TestGateway } from './support/app.ts';
import { startSimsWorld } from './support/sims.ts';
import { exceptions, post } from './support/flows-harness.ts';
import { json, listAll, requestSync, waitFor, waitForPulls } from './support/sync-harness.ts';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

interface World {
  mg: MagentoSim;
  az: AmazonSim;
  gw: TestGateway;
  magento: { id: string };
  amazon: { id: string };
  /** Amazon SKU -> Magento SKU, each with the Magento source quantity it starts with. */
  pairs: { aSku: string; mSku: string; qty: number }[];
  links: Record<string, { id: string }>;
}

/** Both simulators, the gateway, both connections, a profile mapping `pairs` and the given links. */
async function world(quantities: number[], flows: ('inventory_sync' | 'order_import' | 'cancellation')[]): Promise<World> {
  const pairs: World['pairs'] = [];
  const w = await startSimsWorld({
    magento: { seed: { simples: quantities.length + 2, configurables: 0, orders: 0, customers: 1, categories: 1 } },
    amazon: { seed: { listings: quantities.length + 2, orders: 0, fbaInventory: 0, seed: 11 } },
    prepare: (mg, az) => {
      const mSkus = mg.state.products.filter((p) => p.type_id === 'simple').map((p) => p.sku);
      const aSkus = [...az.state.listings.values()].filter((l) => az.state.quantityOf(l.sku) !== null).map((l) => l.sku);
      expect(aSkus.length).toBeGreaterThanOrEqual(quantities.length);
      pairs.push(...quantities.map((qty, i) => ({ aSku: aSkus[i]!, mSku: mSkus[i]!, qty })));
      // Set before the first pull: the stock the merchant starts with, no write counted against the gateway.
      for (const p of pairs) mg.state.setSourceQty(p.mSku, 'default', p.qty, false);
    },
  });
  stop = w.close;
  const { mg, az, gw, magento, amazon } = w;
  await gw.engine.startWorkers(4);
  await waitFor('both sides pulled', async () => (await listAll(gw, `/v1/products?connection_id=${amazon.id}`)).length > 0 && (await listAll(gw, `/v1/inventory?connection_id=${magento.id}`)).length > 0, 30_000);
  const profile = await post(gw, '/v1/profiles', {
    name: 'Magento and Amazon',
    rules: { inventory: { buffer: 0 }, identifiers: { sku_map: Object.fromEntries(pairs.map((p) => [p.aSku, p.mSku])) }, customer: { policy: 'guest' }, cancellations: 'automatic' },
  });
  const links: Record<string, { id: string }> = {};
  const since = new Date(Date.now() - 3_600_000).toISOString();
  for (const flow of flows) {
    const [source, target] = flow === 'inventory_sync' ? [magento, amazon] : [amazon, magento];
    const options = flow === 'order_import' ? { debounce_ms: 100, import_orders_placed_after: since } : { debounce_ms: 100 };
    links[flow] = await post(gw, '/v1/links', { name: flow, flow, source_connection_id: source.id, targets: [{ connection_id: target.id }], profile_id: profile.id, options });
  }
  for (const p of pairs) await waitFor(`Amazon quantity of ${p.aSku} at ${p.qty}`, () => az.state.quantityOf(p.aSku) === p.qty, 30_000);
  return { mg, az, gw, magento, amazon, pairs, links };
}

/** An Amazon order of `qty` of `sku`, placed three minutes ago (outside Amazon's two-minute read lag). */
function amazonSale(w: World, sku: string, qty: number): SimOrder {
  return w.az.state.placeOrder({ items: [{ sku, quantity: qty, unitPrice: '10.00' }], createdTime: Date.now() - 180_000 });
}

/** A change to an Amazon order, dated inside the window the next incremental pull reads. */
function amazonChanged(order: SimOrder): void {
  order.lastUpdatedTime = Date.now() - 150_000;
}

/** Magento orders that carry the lines of an Amazon order (the import keeps Amazon's line ids). */
function importsOf(w: World, order: SimOrder): MagentoOrder[] {
  const lineIds = new Set(order.items.map((i) => i.orderItemId));
  return w.mg.state.orders.filter((o) => o.items.some((i) => i.ext_order_item_id !== null && lineIds.has(i.ext_order_item_id)));
}

/** Magento's salable quantity of a SKU in the default store's stock. */
function salable(w: World, sku: string): number {
  return w.mg.state.salable(sku, w.mg.state.stockIdFor(w.mg.state.stores.find((s) => s.code === 'default')!));
}

/** Waits for `probe`, asking for a pull of `entities` every 2 s meanwhile (Magento is read a few seconds behind). */
async function syncUntil<T>(w: World, what: string, connectionId: string, entities: string[], probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  let asked = 0;
  return waitFor(what, async () => {
    const v = await probe();
    if (v) return v;
    if (Date.now() - asked > 2000) {
      asked = Date.now();
      await post(w.gw, `/v1/connections/${connectionId}/sync`, { entities }, 202);
    }
    return undefined;
  }, timeoutMs);
}

/** Runs a link now through the API and waits for the run to be done. */
async function runLink(w: World, linkId: string): Promise<void> {
  const runs = async () => (await json<{ runs: number }>(w.gw.call(`/v1/links/${linkId}`))).runs;
  const before = await runs();
  await post(w.gw, `/v1/links/${linkId}/run`, {}, 202);
  await waitFor(`a run of link ${linkId}`, async () => (await runs()) > before, 20_000);
}

const openOf = async (w: World, kind: string) => (await exceptions(w.gw, `kind=${kind}&state=open`)) as { id: string; link_id: string; subject: string; reason: string; details: Record<string, unknown> }[];

describe('Amazon and Magento acting at once', () => {
  test('the last unit sold on both channels at once: stock 0 everywhere, the Amazon order imported once, one oversell listed', { timeout: 60_000 }, async () => {
    const w = await world([1], ['inventory_sync', 'order_import']);
    const { aSku, mSku } = w.pairs[0]!;

    // Both sales of the last unit at the same moment: on Amazon, and at Magento's storefront checkout
    // (which reserves the unit, as the simulator's guest checkout does).
    const azOrder = amazonSale(w, aSku, 1);
    const store = w.mg.state.stores.find((s) => s.code === 'default')!;
    const product = w.mg.state.product(mSku)!;
    const address = { firstname: 'Ada', lastname: 'Lovelace', street: ['1 Engine Lane'], city: 'London', postcode: '10001', country_id: 'US', telephone: '555' };
    const mgOrder = w.mg.state.buildOrder({ store, customer: null, email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', billing: address, shipping: address, lines: [{ product, qty: 1, price: product.price }], shipping_amount: 5, at: Date.now(), payment_method: 'checkmo' });
    w.mg.state.insertOrder(mgOrder);
    w.mg.state.placeReservations(mgOrder);
    expect(salable(w, mSku)).toBe(0);
    // The gateway hears of both at once; Magento's first answer to the import's order create is a 503,
    // so the Amazon order stays waiting on its way in while Magento's new stock is read.
    w.mg.faults.failNext(503, 1, 'POST /V1/orders');
    const [sinceMg, sinceAz] = await Promise.all([requestSync(w.gw, w.magento.id, { entities: ['inventory', 'orders'] }), requestSync(w.gw, w.amazon.id, { entities: ['orders'] })]);
    await Promise.all([waitForPulls(w.gw, w.magento.id, sinceMg, ['inventory', 'orders'], 30_000), waitForPulls(w.gw, w.amazon.id, sinceAz, ['orders'], 30_000)]);

    // The buyer paid on Amazon: the order reaches Magento all the same, once.
    await waitFor('the Amazon order in Magento', () => importsOf(w, azOrder).length > 0, 30_000);
    await waitFor(`Amazon quantity of ${aSku} at 0`, () => w.az.state.quantityOf(aSku) === 0, 30_000);
    const oversells = await waitFor('the oversell listed', async () => {
      const open = await openOf(w, 'oversell');
      return open.length > 0 && open;
    }, 30_000);
    // A replayed full pull of both sides and a few more runs of both links change nothing.
    const [againMg, againAz] = await Promise.all([requestSync(w.gw, w.magento.id, { entities: ['inventory', 'orders'], full: true }), requestSync(w.gw, w.amazon.id, { entities: ['orders'], full: true })]);
    await Promise.all([waitForPulls(w.gw, w.magento.id, againMg, ['inventory', 'orders'], 30_000), waitForPulls(w.gw, w.amazon.id, againAz, ['orders'], 30_000)]);
    for (const l of Object.values(w.links)) await runLink(w, l.id);
    await new Promise((r) => setTimeout(r, 1000));

    expect(importsOf(w, azOrder), 'the Amazon order imported once').toHaveLength(1);
    expect(w.mg.requests.filter((r) => r.method === 'POST' && /\/V1\/orders$/.test(r.path)).map((r) => r.status), 'one 503, then one create').toEqual([503, 200]);
    expect(w.az.state.quantityOf(aSku), 'nothing left to sell on Amazon').toBe(0);
    expect(Math.max(0, salable(w, mSku)), 'nothing left to sell in Magento').toBe(0);
    const open = await openOf(w, 'oversell');
    expect(open, JSON.stringify(open)).toHaveLength(1);
    expect(open[0]!.id).toBe(oversells[0]!.id);
    expect(open[0]!.subject).toBe(`sku:${mSku}`);
    expect(open[0]!.details.sku).toBe(mSku);
  });

  test('canceled on Amazon after its import: Magento cancels once through a replayed pull and the unit comes back once; canceled in Magento: listed as an exception, not retried', { timeout: 60_000 }, async () => {
    const w = await world([5], ['inventory_sync', 'order_import', 'cancellation']);
    const { aSku, mSku } = w.pairs[0]!;
    const cancels = (orderId: number) => w.mg.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/V1/orders/${orderId}/cancel`));

    // An Amazon order of one unit is imported into Magento.
    const first = amazonSale(w, aSku, 1);
    await post(w.gw, `/v1/connections/${w.amazon.id}/sync`, { entities: ['orders'] }, 202);
    const imported = await waitFor('the first Amazon order in Magento', () => importsOf(w, first)[0], 30_000);
    await syncUntil(w, 'the imported order read back from Magento', w.magento.id, ['orders'], async () => (await listAll(w.gw, `/v1/orders?connection_id=${w.magento.id}`)).find((o) => o.external_id === String(imported.entity_id)));
    // The import took the unit off Magento's stock once (POST /V1/orders reserves nothing by itself).
    await waitFor('the import deducted from Magento stock', () => salable(w, mSku) === 4, 30_000);

    // The buyer cancels on Amazon: the Magento order is canceled, automatically, as the profile says.
    w.az.state.setOrderStatus(first.orderId, 'CANCELLED');
    amazonChanged(first);
    await post(w.gw, `/v1/connections/${w.amazon.id}/sync`, { entities: ['orders'] }, 202);
    await waitFor('the Magento order canceled', () => imported.state === 'canceled', 30_000);
    // A replayed full pull of Amazon's orders, and more runs of the link, cancel nothing again.
    await waitForPulls(w.gw, w.amazon.id, await requestSync(w.gw, w.amazon.id, { entities: ['orders'], full: true }), ['orders'], 30_000);
    await runLink(w, w.links.cancellation!.id);
    await syncUntil(w, 'the cancel read back from Magento', w.magento.id, ['orders', 'inventory'], async () => (await listAll(w.gw, `/v1/orders?connection_id=${w.magento.id}`)).find((o) => o.external_id === String(imported.entity_id) && o.status === 'canceled'));
    await runLink(w, w.links.cancellation!.id);
    // The unit is back once: Magento sells 5 again and so does Amazon (not 4, not 6).
    await waitFor(`Amazon quantity of ${aSku} back at 5`, () => w.az.state.quantityOf(aSku) === 5, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(cancels(imported.entity_id).filter((r) => r.status === 200), 'Magento canceled the order once').toHaveLength(1);
    expect(importsOf(w, first), 'imported once').toHaveLength(1);
    expect(salable(w, mSku)).toBe(5);
    expect(w.az.state.quantityOf(aSku)).toBe(5);
    const cancelOps = await listAll(w.gw, `/v1/operations?kind=order.cancel`);
    expect(cancelOps.map((o) => [o.connection_id, o.state]), 'one cancel, toward Magento').toEqual([[w.magento.id, 'succeeded']]);
    expect(await openOf(w, 'cancellation'), 'an automatic cancellation raises no exception').toEqual([]);

    // A second Amazon order is imported, then canceled in Magento by the merchant. Amazon has no cancel
    // for the seller in our adapter: the exception list says so, once.
    const second = amazonSale(w, aSku, 1);
    await post(w.gw, `/v1/connections/${w.amazon.id}/sync`, { entities: ['orders'] }, 202);
    const importedAgain = await waitFor('the second Amazon order in Magento', () => importsOf(w, second)[0], 30_000);
    const canceled = await call<boolean>(w.mg, 'POST', `/rest/default/V1/orders/${importedAgain.entity_id}/cancel`);
    expect(canceled).toEqual({ status: 200, body: true });
    const listed = await syncUntil(w, 'the Magento cancel listed as an exception', w.magento.id, ['orders'], async () => (await openOf(w, 'cancellation'))[0]);
    const mgSecond = (await listAll(w.gw, `/v1/orders?connection_id=${w.magento.id}`)).find((o) => o.external_id === String(importedAgain.entity_id));
    expect(listed.subject).toBe(mgSecond.id);
    expect(listed.link_id).toBe(w.links.cancellation!.id);
    expect(listed.details).toMatchObject({ counterpart_connection_id: w.amazon.id, counterpart_external_id: second.orderId, cancelable: false });
    // Not retried: more pulls and runs leave one exception, no cancel operation toward Amazon, and the
    // link without an error.
    const runsBefore = (await json(w.gw.call(`/v1/links/${w.links.cancellation!.id}`))).runs as number;
    await waitForPulls(w.gw, w.magento.id, await requestSync(w.gw, w.magento.id, { entities: ['orders'], full: true }), ['orders'], 30_000);
    for (let i = 0; i < 3; i++) await runLink(w, w.links.cancellation!.id);
    const link = await json(w.gw.call(`/v1/links/${w.links.cancellation!.id}`));
    expect(link.last_error).toBeNull();
    expect(link.runs).toBeGreaterThanOrEqual(runsBefore + 3);
    expect((await openOf(w, 'cancellation')).map((e) => e.id)).toEqual([listed.id]);
    expect((await listAll(w.gw, `/v1/operations?kind=order.cancel`)).map((o) => o.connection_id)).toEqual([w.magento.id]);
    expect(w.az.state.orders.get(second.orderId)!.status, 'Amazon still shows the order open').toBe('UNSHIPPED');
  });
});
