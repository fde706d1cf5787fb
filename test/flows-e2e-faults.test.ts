// The Magento-Amazon flows of flows-e2e.test.ts with faults injected into both simulators: LWA tokens
// expired, 429 storms, 503s, answers lost after the write took effect, worker processes killed in the
// middle of an upstream call, and an Amazon order outage followed by replayed pulls. The end state is the
// one without faults: Amazon at Magento's last stock value with no value written twice, one Magento order
// per Amazon order with its quantity taken off Magento's stock once, one Amazon confirmation per Magento
// shipment.
import { sql } from 'kysely';
import { afterEach, describe, expect, test } from 'vitest';
import type { AmazonSim } from './sim/amazon/index.ts';
import { call } from './sim/magento/client.ts';
import type { MagentoSim } from './sim/magento/index.ts';
import type { TestGateway } from './support/app.ts';
import { startSimsWorld } from './support/sims.ts';
import { post } from './support/flows-harness.ts';
import { listAll, requestSync, trackWorkerProcesses, waitFor, waitForPulls } from './support/sync-harness.ts';

interface World {
  mg: MagentoSim;
  az: AmazonSim;
  gw: TestGateway;
  magento: string;
  amazon: string;
}

let stop: (() => Promise<void>) | undefined;
const processes = trackWorkerProcesses();
afterEach(async () => {
  await processes.killAll();
  await stop?.();
  stop = undefined;
});

/** Both simulators, a gateway with both adapters and a connection to each; in-process workers unless `workers` is false. */
async function world(o: { workers: boolean; mgOrders?: number }): Promise<World> {
  const w = await startSimsWorld({
    magento: { seed: { simples: 8, configurables: 0, orders: o.mgOrders ?? 0, customers: 2, categories: 2 } },
    amazon: { seed: { listings: 8, orders: 0, fbaInventory: 0, seed: 11 } },
    // The SKUs the scenarios pair with Amazon's are in stock, so a sale's deduction shows in Magento.
    prepare: (mg) => {
      for (const p of mg.state.products.filter((x) => x.type_id === 'simple').slice(0, 3)) mg.state.setSourceQty(p.sku, 'default', 25, false, 1);
    },
  });
  stop = w.close;
  const { mg, az, gw, magento, amazon } = w;
  if (o.workers) await gw.engine.startWorkers(4);
  return { mg, az, gw, magento: magento.id, amazon: amazon.id };
}

/** `n` Magento simple SKUs paired with `n` merchant-fulfilled Amazon SKUs (Amazon SKU -> Magento SKU). */
function pairs(w: World, n: number): { m: string; a: string }[] {
  const m = w.mg.state.products.filter((p) => p.type_id === 'simple').map((p) => p.sku);
  const a = [...w.az.state.listings.values()].filter((l) => w.az.state.quantityOf(l.sku) !== null).map((l) => l.sku);
  expect(a.length).toBeGreaterThanOrEqual(n);
  return Array.from({ length: n }, (_, i) => ({ m: m[i]!, a: a[i]! }));
}

async function firstPulls(w: World, timeoutMs = 40_000): Promise<void> {
  await waitFor('both sides pulled', async () => (await listAll(w.gw, `/v1/products?connection_id=${w.amazon}`)).length > 0 && (await listAll(w.gw, `/v1/inventory?connection_id=${w.magento}`)).length > 0, timeoutMs);
}

/** The quantities patched onto an Amazon SKU's listing since `from` (an index into the sim's write log). */
function quantitiesWritten(az: AmazonSim, sku: string, from: number): number[] {
  return az.state.listingWrites.slice(from).filter((x) => x.sku === sku && x.kind === 'patch').flatMap((x) => {
    const patches = x.detail as { path: string; value?: { quantity?: number }[] }[];
    return patches.filter((p) => p.path === '/attributes/fulfillment_availability').map((p) => p.value?.[0]?.quantity ?? -1);
  });
}

/** Stock writes to Magento that it applied (the import takes a sold quantity off the source this way). */
function stockWrites(mg: MagentoSim) {
  return mg.requests.filter((r) => r.method === 'POST' && r.path.includes('/V1/inventory/source-items') && r.status === 200);
}

/** Magento orders the import made for an Amazon order (each Magento line keeps its Amazon order item id). */
function magentoOrdersFor(mg: MagentoSim, order: { items: { orderItemId: string }[] }) {
  const ids = new Set(order.items.map((i) => i.orderItemId));
  return mg.state.orders.filter((o) => o.items.some((i) => i.ext_order_item_id !== null && ids.has(i.ext_order_item_id)));
}

describe('Amazon and Magento simulators under faults', () => {
  test('stock sync through two LWA token expiries, a 429 storm, a 503 and a lost answer on patchListingsItem: Amazon ends at Magento\'s last value, no value written twice', { timeout: 60_000 }, async () => {
    const w = await world({ workers: true });
    const { mg, az, gw } = w;
    await firstPulls(w);
    const skus = pairs(w, 3);
    const profile = await post(gw, '/v1/profiles', { name: 'stock', rules: { inventory: { buffer: 0 }, identifiers: { sku_map: Object.fromEntries(skus.map((s) => [s.a, s.m])) } } });
    await post(gw, '/v1/links', { name: 'stock', flow: 'inventory_sync', source_connection_id: w.magento, targets: [{ connection_id: w.amazon }], profile_id: profile.id, options: { debounce_ms: 100 } });
    for (const s of skus) {
      const level = await waitFor(`Magento stock of ${s.m} mirrored`, async () => (await listAll(gw, `/v1/inventory?connection_id=${w.magento}&sku=${encodeURIComponent(s.m)}`))[0]);
      await waitFor(`Amazon ${s.a} at ${level.available}`, () => az.state.quantityOf(s.a) === level.available, 30_000);
    }
    const writesFrom = az.state.listingWrites.length;
    const requestsFrom = az.requests.length;
    const tokensFrom = az.tokensIssued();

    // Every patch meets a fault first: four 429s, then a 503, then one applied with its answer lost.
    az.faults.storm429(4, 'patchListingsItem');
    az.faults.failNext(503, 1, 'patchListingsItem');
    az.faults.failAfterEffectNext(1, 'patchListingsItem');
    // Three rounds; in each, every SKU changes twice in Magento before the gateway reads it again, and
    // the gateway's pull of the round is awaited (so each round's last value reaches the flow).
    let changes = 0;
    const last = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      if (round < 2) az.faults.expireTokens();
      for (const [i, s] of skus.entries()) {
        for (const step of [0, 1]) {
          const qty = 20 + 10 * i + 3 * round + step;
          mg.state.setSourceQty(s.m, 'default', qty, true, 1);
          last.set(s.a, qty);
          changes += 1;
        }
      }
      await waitForPulls(gw, w.magento, await requestSync(gw, w.magento, { entities: ['inventory'] }), ['inventory'], 20_000);
      for (const s of skus) {
        const level = (await listAll(gw, `/v1/inventory?connection_id=${w.magento}&sku=${encodeURIComponent(s.m)}`))[0];
        expect(level.available, `round ${round} of ${s.m} read from Magento`).toBe(last.get(s.a));
      }
    }
    for (const s of skus) await waitFor(`Amazon ${s.a} at ${last.get(s.a)}`, () => az.state.quantityOf(s.a) === last.get(s.a), 30_000);
    // Let anything still queued run (a duplicate would be written now).
    await new Promise((r) => setTimeout(r, 1500));

    let writes = 0;
    for (const s of skus) {
      const written = quantitiesWritten(az, s.a, writesFrom);
      expect(written.at(-1), `last write of ${s.a}`).toBe(last.get(s.a));
      expect(new Set(written).size, `no quantity of ${s.a} written twice: ${written.join(',')}`).toBe(written.length);
      // At most one write per round that changed it (the intermediate values were never read).
      expect(written.length).toBeLessThanOrEqual(3);
      writes += written.length;
      expect(az.state.quantityOf(s.a)).toBe(last.get(s.a));
    }
    expect(writes).toBeLessThan(changes);
    // The faults were met on the way.
    const seen = az.requests.slice(requestsFrom);
    const patches = seen.filter((r) => r.operation === 'patchListingsItem');
    expect(patches.filter((r) => r.status === 429)).toHaveLength(4);
    expect(patches.filter((r) => r.status === 503)).toHaveLength(1);
    expect(patches.filter((r) => r.status === 0), 'the answer lost after the write').toHaveLength(1);
    expect(seen.filter((r) => r.status === 403).length, 'expired tokens refused').toBeGreaterThanOrEqual(2);
    expect(az.tokensIssued() - tokensFrom, 'a new token after each expiry').toBeGreaterThanOrEqual(2);
    expect(az.violations).toEqual([]);
    expect(mg.violations).toEqual([]);
  });

  test('worker processes SIGKILLed in the middle of a Magento order create and of an Amazon confirmShipment: after a new worker, one Magento order and one confirmation', { timeout: 60_000 }, async () => {
    const w = await world({ workers: false });
    const { mg, az, gw } = w;
    const first = processes.spawn(gw.tdb.url);
    await firstPulls(w);
    const [pair] = pairs(w, 1);
    const profile = await post(gw, '/v1/profiles', { name: 'orders', rules: { identifiers: { sku_map: { [pair!.a]: pair!.m } }, customer: { policy: 'guest' } } });
    await post(gw, '/v1/links', { name: 'orders', flow: 'order_import', source_connection_id: w.amazon, targets: [{ connection_id: w.magento }], profile_id: profile.id, options: { debounce_ms: 100, import_orders_placed_after: new Date(Date.now() - 3_600_000).toISOString() } });
    await post(gw, '/v1/links', { name: 'shipments', flow: 'fulfillment_confirmation', source_connection_id: w.magento, targets: [{ connection_id: w.amazon }], profile_id: profile.id, options: { debounce_ms: 100 } });

    // Magento answers slowly, so the kill lands while the order create is on its way.
    const isCreate = (r: { method: string; path: string }) => r.method === 'POST' && /\/V1\/orders$/.test(r.path.split('?')[0]!);
    const salableBefore = mg.state.salable(pair!.m, 1);
    expect(salableBefore).toBe(25);
    mg.faults.latency(1_200);
    const order = az.state.placeOrder({ items: [{ sku: pair!.a, quantity: 2, unitPrice: '12.50' }], createdTime: Date.now() - 180_000 });
    await requestSync(gw, w.amazon, { entities: ['orders'] });
    const create = await waitFor('the Magento order create in flight', () => mg.requests.find(isCreate), 30_000);
    await first.kill('SIGKILL');
    mg.faults.latency(0);
    // Magento finishes what it received (as PHP does when the client has gone).
    await waitFor('Magento done with the create', () => create.status !== 0, 10_000);
    const appliedBeforeRestart = magentoOrdersFor(mg, order).length;

    const second = processes.spawn(gw.tdb.url);
    await waitFor('the order import recorded as done', async () => {
      const ops = await listAll(gw, '/v1/operations?kind=order.create');
      return ops.length === 1 && ops[0].state === 'succeeded';
    }, 30_000);
    // The killed create had been applied: the next worker found it rather than creating another.
    expect(appliedBeforeRestart).toBe(1);
    const imported = magentoOrdersFor(mg, order);
    expect(imported).toHaveLength(1);
    const [importOp] = await listAll(gw, '/v1/operations?kind=order.create');
    expect({ attempts: importOp.attempts, existing: importOp.result?.data?.existing }).toEqual({ attempts: 2, existing: true });
    // The sale comes off Magento's stock once.
    await waitFor('the sold quantity taken off Magento stock', () => mg.state.salable(pair!.m, 1) === salableBefore - 2, 20_000);
    expect(stockWrites(mg)).toHaveLength(1);

    // Shipped in Magento; Amazon applies the confirmation at once and answers late: the kill lands
    // after Amazon confirmed and before the worker heard of it.
    expect((await call(mg, 'POST', `/rest/default/V1/order/${imported[0]!.entity_id}/ship`, { items: [], tracks: [{ track_number: '1Z-KILL-1', title: 'UPS', carrier_code: 'ups' }] })).status).toBe(200);
    az.faults.slowAfterEffectNext(1, 5_000, 'confirmShipment');
    let asked = 0;
    await waitFor('Amazon confirmed the package', async () => {
      // Magento is read a couple of seconds behind: ask until the shipment is inside the window.
      if (Date.now() - asked > 2500) {
        asked = Date.now();
        await requestSync(gw, w.magento, { entities: ['orders', 'shipments'] });
      }
      return (az.state.confirmations.get(order.orderId) ?? []).length > 0;
    }, 40_000);
    await second.kill('SIGKILL');

    processes.spawn(gw.tdb.url);
    const confirmOp = await waitFor('the confirmation recorded as done', async () => {
      const ops = await listAll(gw, '/v1/operations?kind=shipment.create');
      const mine = ops.filter((o) => o.connection_id === w.amazon);
      return mine.length === 1 && mine[0].state === 'succeeded' ? mine[0] : undefined;
    }, 30_000);
    // The killed attempt's package was found on Amazon, not sent again.
    expect({ attempts: confirmOp.attempts, already: confirmOp.result?.data?.already_confirmed }).toEqual({ attempts: 2, already: true });
    // Replays on both sides find nothing new to do.
    await waitForPulls(gw, w.magento, await requestSync(gw, w.magento, { entities: ['orders', 'shipments'], full: true }), ['orders', 'shipments'], 30_000);
    await waitForPulls(gw, w.amazon, await requestSync(gw, w.amazon, { entities: ['orders'], full: true }), ['orders'], 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(magentoOrdersFor(mg, order)).toHaveLength(1);
    expect(az.state.confirmations.get(order.orderId)).toHaveLength(1);
    expect(az.state.confirmations.get(order.orderId)![0]!.trackingNumber).toBe('1Z-KILL-1');
    // One order create ever sent: the killed one, which Magento applied after its client was gone.
    expect(mg.requests.filter(isCreate).map((r) => r.status)).toEqual([200]);
    // Shipping took nothing more off salable stock, and the import wrote no stock again.
    expect(mg.state.salable(pair!.m, 1)).toBe(salableBefore - 2);
    expect(stockWrites(mg)).toHaveLength(1);
    expect(az.violations).toEqual([]);
    expect(mg.violations).toEqual([]);
  });

  test('replay after an outage: searchOrders answers 503 while orders are placed, then recovers; the retried incremental pull reads up to now and replayed full pulls import nothing twice', { timeout: 60_000 }, async () => {
    const w = await world({ workers: true });
    const { mg, az, gw } = w;
    await firstPulls(w);
    const [pair] = pairs(w, 1);
    const profile = await post(gw, '/v1/profiles', { name: 'orders', rules: { identifiers: { sku_map: { [pair!.a]: pair!.m } }, customer: { policy: 'guest' } } });
    await post(gw, '/v1/links', { name: 'orders', flow: 'order_import', source_connection_id: w.amazon, targets: [{ connection_id: w.magento }], profile_id: profile.id, options: { debounce_ms: 100, import_orders_placed_after: new Date(Date.now() - 3_600_000).toISOString() } });
    await waitFor('the first order pull finished', async () => {
      const cp = await sql<{ watermark: Date | null; run_id: string | null }>`SELECT watermark, run_id FROM sync_checkpoints WHERE connection_id = ${w.amazon} AND entity = 'orders'`.execute(gw.tdb.db);
      return cp.rows[0]?.watermark && !cp.rows[0].run_id;
    });

    // The outage: every searchOrders answers 503. An order from before it (Amazon shows orders two
    // minutes late, hence the backdating) and a pull that fails on its first page.
    const salableBefore = mg.state.salable(pair!.m, 1);
    expect(salableBefore).toBe(25);
    az.faults.failNext(503, 100_000, 'searchOrders');
    const before = az.state.placeOrder({ items: [{ sku: pair!.a, quantity: 1, unitPrice: '11.00' }], createdTime: Date.now() - 180_000 });
    await requestSync(gw, w.amazon, { entities: ['orders'] });
    const failed = await waitFor('the pull failed on its first page', async () => {
      const cp = await sql<{ run_to: Date | null; failures: number }>`SELECT run_to, failures FROM sync_checkpoints WHERE connection_id = ${w.amazon} AND entity = 'orders'`.execute(gw.tdb.db);
      return cp.rows[0]?.run_to && cp.rows[0].failures >= 1 ? cp.rows[0] : undefined;
    });
    // An order Amazon shows as placed after the failed run's window closed: placed during the outage.
    const during = az.state.placeOrder({ items: [{ sku: pair!.a, quantity: 2, unitPrice: '11.00' }], createdTime: failed.run_to!.getTime() + 200 });
    await new Promise((r) => setTimeout(r, 1200));

    // Amazon recovers; the incremental pull is asked for again (the retry of the failed run).
    az.faults.clear();
    const failedCalls = az.requests.filter((r) => r.operation === 'searchOrders' && r.status === 503).length;
    expect(failedCalls).toBeGreaterThanOrEqual(1);
    await waitForPulls(gw, w.amazon, await requestSync(gw, w.amazon, { entities: ['orders'] }), ['orders'], 30_000);
    const pulled = (await listAll(gw, `/v1/orders?connection_id=${w.amazon}`)).map((o) => o.external_id);
    expect(pulled, 'the order from before the outage').toContain(before.orderId);
    expect(pulled, 'the order placed during the outage, read by the retried run').toContain(during.orderId);

    // Replays: the same window read in full, twice, and incrementally once more.
    for (const full of [true, true, false]) {
      await waitForPulls(gw, w.amazon, await requestSync(gw, w.amazon, { entities: ['orders'], full }), ['orders'], 30_000);
    }
    for (const o of [before, during]) await waitFor(`${o.orderId} in Magento`, () => magentoOrdersFor(mg, o).length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    for (const o of [before, during]) expect(magentoOrdersFor(mg, o), o.orderId).toHaveLength(1);
    const creates = mg.requests.filter((r) => r.method === 'POST' && /\/V1\/orders$/.test(r.path.split('?')[0]!));
    expect(creates.filter((r) => r.status === 200)).toHaveLength(2);
    expect(mg.state.orders).toHaveLength(2);
    // 1 + 2 sold: taken off Magento's stock once per order.
    await waitFor('the sold quantities taken off Magento stock', () => mg.state.salable(pair!.m, 1) === salableBefore - 3, 20_000);
    expect(stockWrites(mg)).toHaveLength(2);
    expect(az.violations).toEqual([]);
  });
});
