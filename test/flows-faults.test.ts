// The flows under faults: 429 storms, 5xx, answers lost after the upstream applied a write, the same
// pull replayed, and a worker process killed in the middle of an order import. The end state is the
// one without faults: one store order per marketplace order, one confirmation per shipment, stock at
// the value the rules give, and no write applied twice upstream.
import { afterEach, describe, expect, test } from 'vitest';
import { flowsFixture, ordersNumbered, post, sell, sync, waitForStock, type FlowsFixture } from './support/flows-harness.ts';
import { listAll, trackWorkerProcesses, waitFor } from './support/sync-harness.ts';

let fx: FlowsFixture | undefined;
const processes = trackWorkerProcesses();
afterEach(async () => {
  await processes.killAll();
  await fx?.close();
  fx = undefined;
});

async function wire(f: FlowsFixture, flows: string[]): Promise<void> {
  const profile = await post(f.gw, '/v1/profiles', { name: 'p', rules: { inventory: { buffer: 0 } } });
  for (const flow of flows) {
    const toMarket = flow !== 'order_import';
    await post(f.gw, '/v1/links', {
      name: flow,
      flow,
      source_connection_id: toMarket ? f.store.id : f.market.id,
      targets: [{ connection_id: toMarket ? f.market.id : f.store.id }],
      profile_id: profile.id,
      options: { debounce_ms: 100, import_orders_placed_after: new Date(Date.now() - 60_000).toISOString() },
    });
  }
}

describe('flows under faults', () => {
  test('429 storms, 5xx and lost answers on both sides, and the same pulls replayed: every order once, every shipment confirmed once, stock right', { timeout: 90_000 }, async () => {
    fx = await flowsFixture({
      store: { decrementStockOnOrder: true, data: { products: 6, inventory: 6 }, rateLimit: { ratePerSec: 20, burst: 5 } },
      market: { data: { products: 6, inventory: 6 }, rateLimit: { ratePerSec: 20, burst: 5 } },
      settings: { rate_per_sec: 100, burst: 100 },
    });
    const f = fx;
    await waitFor('first pulls', async () => (await listAll(f.gw, `/v1/products?connection_id=${f.store.id}`)).length === 6 && (await listAll(f.gw, `/v1/inventory?connection_id=${f.market.id}`)).length === 6);
    await wire(f, ['inventory_sync', 'order_import', 'fulfillment_confirmation']);
    await waitForStock(f.market.sim, 'SKU-3', 111);

    // The storm: the adapter's rate is set far above the upstreams' (their 429s do the limiting), a
    // run of 429s and 503s on every write route, answers lost after two order creations applied.
    for (const sim of [f.store.sim, f.market.sim]) {
      sim.faults.throttleNext(8, { retryAfterSec: 1 }).errorRate(503, 0.25);
    }
    f.store.sim.faults.failAfterEffectNext(2, { routes: ['orders.create'] });
    const sales = [1, 2, 3, 4].map((n) => sell(f.market.sim, [{ sku: 'SKU-3', qty: n, price: '10.00' }]));
    // The same window pulled again and again (a replay after an outage), overlapping with the flows.
    for (let i = 0; i < 3; i++) await sync(f.gw, f.market.id, ['orders']);
    await f.gw.call(`/v1/connections/${f.market.id}/sync`, { method: 'POST', body: JSON.stringify({ entities: ['orders'], full: true }) });

    await waitFor('four orders in the store', () => sales.every((s) => ordersNumbered(f.store.sim, s.number).length >= 1), 60_000);
    // 111 - (1+2+3+4) = 101 in the store, and on the marketplace once the flows settle.
    await waitFor('store stock', () => f.store.sim.state.inventory.get('SKU-3@default')!.quantity === 101, 30_000);
    // Ship each store order in the store itself; the store's shipments pull brings them in.
    for (const s of sales) {
      const o = ordersNumbered(f.store.sim, s.number)[0]!;
      f.store.sim.state.update('orders', o.id, (x) => {
        x.items[0]!.qty_shipped = x.items[0]!.qty_ordered;
        x.status = 'complete';
        x.shipments.push({ id: `SH-${o.id}`, items: [{ item_id: x.items[0]!.id, sku: 'SKU-3', qty: x.items[0]!.qty_ordered }], carrier: 'UPS', tracking_number: `T-${o.id}`, created_at: new Date().toISOString() });
      });
    }
    for (let i = 0; i < 2; i++) await sync(f.gw, f.store.id, ['orders', 'shipments', 'inventory']);
    await waitFor('every marketplace order confirmed', () => sales.every((s) => f.market.sim.state.orders.get(s.id)!.shipments.length >= 1), 60_000).catch(async (err) => {
      const db = f.gw.tdb.db;
      console.log(JSON.stringify({
        shipments: await db.selectFrom('shipments').select(['id', 'external_id', 'order_id']).execute(),
        conf: await db.selectFrom('flow_shipment_confirmations').selectAll().execute(),
        imports: await db.selectFrom('flow_order_imports').select(['state', 'target_external_id']).execute(),
        ops: await db.selectFrom('operations').select(['kind', 'state', 'last_error', 'attempts']).where('kind', '=', 'shipment.create').execute(),
        dl: await db.selectFrom('dead_letters').select(['reason']).execute(),
        links: await db.selectFrom('flow_links').select(['flow', 'last_error', 'runs']).execute(),
        cps: await db.selectFrom('sync_checkpoints').select(['connection_id', 'entity', 'last_error', 'failures', 'run_id']).execute(),
      }, null, 1));
      throw err;
    });
    f.store.sim.faults.clear();
    f.market.sim.faults.clear();
    await waitForStock(f.market.sim, 'SKU-3', 101, 40_000);

    await sync(f.gw, f.market.id, ['orders']);
    await sync(f.gw, f.store.id, ['orders', 'shipments']);
    await new Promise((r) => setTimeout(r, 1500));
    for (const s of sales) {
      expect(ordersNumbered(f.store.sim, s.number), s.number).toHaveLength(1);
      expect(f.market.sim.state.orders.get(s.id)!.shipments, s.number).toHaveLength(1);
    }
    expect(f.store.sim.state.duplicateEffects()).toEqual([]);
    expect(f.market.sim.state.duplicateEffects()).toEqual([]);
    expect(f.store.sim.state.throttled + f.market.sim.state.throttled).toBeGreaterThan(0);
    expect(f.store.sim.faults.fired.fail_after_effect).toBe(2);
  });

  test('a worker process killed while the store creates the order: the next process finishes the import, one store order', { timeout: 90_000 }, async () => {
    fx = await flowsFixture({ workers: false });
    const f = fx;
    const first = processes.spawn(f.gw.tdb.url);
    await waitFor('first pulls', async () => (await listAll(f.gw, `/v1/products?connection_id=${f.store.id}`)).length === 6, 40_000);
    await wire(f, ['order_import']);
    // The store takes its time with the order, and applies it after the process is gone.
    f.store.sim.faults.hangNext(1, 2_000, { routes: ['orders.create'] }).failAfterEffectNext(1, { routes: ['orders.create'] });
    const sale = sell(f.market.sim, [{ sku: 'SKU-2', qty: 2, price: '12.00' }]);
    await sync(f.gw, f.market.id, ['orders']);
    await waitFor('the order creation in flight', () => (f.store.sim.state.calls.get('orders.create') ?? 0) >= 1, 40_000);
    await first.kill('SIGKILL');
    await waitFor('the store applied it', () => ordersNumbered(f.store.sim, sale.number).length === 1);

    processes.spawn(f.gw.tdb.url);
    await waitFor('the import recorded as done', async () => {
      const ops = await listAll(f.gw, '/v1/operations?kind=order.create');
      return ops.length === 1 && ops[0].state === 'succeeded' ? ops : undefined;
    }, 60_000);
    await sync(f.gw, f.market.id, ['orders']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ordersNumbered(f.store.sim, sale.number)).toHaveLength(1);
    expect(f.store.sim.state.attempts.get([...f.store.sim.state.attempts.keys()].find((k) => k.startsWith('import-order:'))!)).toBe(2);
    expect(f.store.sim.state.duplicateEffects()).toEqual([]);
    expect(f.store.sim.state.inventory.get('SKU-2@default')!.quantity).toBe(72);
  });
});
