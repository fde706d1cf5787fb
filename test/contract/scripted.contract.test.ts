// The contract suite run for the scripted_http test adapter, which proves the suite itself can pass and fail.
import { channelContract } from './channel-contract.ts';
import { scriptedHttpAdapter } from '../support/scripted-adapter.ts';
import { startScriptedUpstream } from '../sim/scripted/server.ts';

channelContract('scripted_http', async () => {
  const sim = await startScriptedUpstream({ rateLimit: false, data: { orders: 120, products: 30, inventory: 30 } });
  const order = sim.state.orders.get('100000002')!;
  const effectsOn = (prefix: string) => () => sim.state.effectLog.filter((e) => e.target.startsWith(prefix)).length;
  return {
    factory: scriptedHttpAdapter,
    settings: { base_url: sim.url, page_size: 50 },
    credentials: { api_key: 'test-key' },
    badCredentials: { api_key: 'wrong-key' },
    seeded: { orders: 120, products: 30, inventory: 30 },
    requestCount: () => sim.state.totalCalls(),
    failNext: (status, count) => void (status === 500 ? sim.faults.error500Next(count) : sim.faults.error503Next(count)),
    clearFaults: () => void sim.faults.clear(),
    writes: [
      { name: 'setStock', input: { sku: 'SKU-1', quantity: 7, location_id: 'default' }, effects: effectsOn('inventory/SKU-1@default') },
      {
        name: 'createShipment',
        input: { order_external_id: '100000002', lines: [{ external_line_id: order.items[0]!.id, sku: order.items[0]!.sku, quantity: 1 }], carrier: 'DHL', tracking_number: 'T1' },
        effects: effectsOn('orders/100000002/shipments/'),
      },
    ],
    stop: () => sim.stop(),
  };
});
