// Entities are pulled independently, so a shipment can be pulled before its order. It waits as a dead
// letter and is applied in the transaction that stores the order: no full pass or manual replay needed.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { magentoAdapter } from '../../src/adapters/magento/index.ts';
import { startGateway, type TestGateway } from '../support/app.ts';
import { listAll, requestSync, waitForPulls } from '../support/sync-harness.ts';
import { startMagentoSim, type MagentoSim } from '../sim/magento/index.ts';

let sim: MagentoSim;
let gw: TestGateway;
let id: string;

beforeAll(async () => {
  sim = await startMagentoSim({ seed: { simples: 10, configurables: 2, orders: 20, customers: 3, categories: 2 } });
  gw = await startGateway({ adapters: [magentoAdapter] });
  const res = await gw.call('/v1/connections', {
    method: 'POST',
    body: JSON.stringify({
      channel: 'magento',
      name: 'Orphans',
      settings: { base_url: sim.url, store_code: 'default', page_size: 20, rate_per_sec: 200, burst: 50 },
      credentials: { type: 'oauth1', ...sim.credentials.oauth1 },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  id = ((await res.json()) as { id: string }).id;
  // Orders are refused until the test lifts the fault, so shipments are stored first.
  sim.faults.failNext(503, 1_000_000, '/V1/orders');
  await gw.engine.startWorkers(2);
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  await gw?.close();
});

test('shipments pulled before their orders are stored when the orders arrive', async () => {
  expect(sim.state.shipments.length).toBeGreaterThan(0);
  const early = await waitForPulls(gw, id, await requestSync(gw, id, { entities: ['shipments'] }), ['shipments'], 40_000);
  expect(early.entities.find((e) => e.entity === 'orders')?.last_success_at ?? null).toBeNull();
  expect(early.open_dead_letters).toBe(sim.state.shipments.length);
  expect(await listAll(gw, `/v1/shipments?connection_id=${id}`)).toHaveLength(0);

  sim.faults.clear();
  const late = await waitForPulls(gw, id, await requestSync(gw, id, { entities: ['orders'] }), ['orders'], 40_000);
  expect(late.open_dead_letters).toBe(0);
  const shipments = await listAll(gw, `/v1/shipments?connection_id=${id}`);
  expect(shipments.map((s) => s.external_id).sort()).toEqual(sim.state.shipments.map((s) => String(s.entity_id)).sort());
});
