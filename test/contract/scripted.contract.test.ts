// The contract suite run for the scripted_http test adapter, which proves the suite itself can pass and
// fail. The plain scripted platform lacks some writes its capabilities stand for and single reads: those
// are its declared gaps (the scripted_shop channel of the same adapter has them, and the flows use it).
import { channelContract, type ContractSubject } from './channel-contract.ts';
import { scriptedHttpAdapter } from '../support/scripted-adapter.ts';
import { orderInput } from '../support/seed.ts';
import { startScriptedUpstream } from '../sim/scripted/server.ts';

const noSingleReads = 'the scripted_http channel has no single-record reads (scripted_shop has them for stock)';
const gaps = {
  'orders.read: fetch reads one pulled record again by its id, and answers null for an id that names none': noSingleReads,
  'products.read: fetch reads one pulled record again by its id, and answers null for an id that names none': noSingleReads,
  'inventory.read: fetch reads one pulled record again by its id, and answers null for an id that names none': noSingleReads,
  'inventory.write: setStockBulk, repeated with the same idempotency key, acts upstream once': 'bulk stock is a scripted_shop write',
  'products.write: updatePrice, repeated with the same idempotency key, acts upstream once': 'prices are scripted_shop writes',
  'products.write: updatePriceBulk, repeated with the same idempotency key, acts upstream once': 'prices are scripted_shop writes',
  'orders.write: addOrderComment, repeated with the same idempotency key, acts upstream once': 'the scripted platform has no order comments',
};

channelContract({ factory: scriptedHttpAdapter, gaps }, async (): Promise<ContractSubject> => {
  const sim = await startScriptedUpstream({ rateLimit: false, data: { orders: 120, products: 30, inventory: 30 } });
  const order = sim.state.orders.get('100000002')!;
  const cancelable = [...sim.state.orders.values()].find((o) => o.id !== order.id && !['canceled', 'complete', 'closed'].includes(o.status))!;
  const effectsOf = (route: string, target?: string) => () => sim.state.effectLog.filter((e) => e.route === route && (target === undefined || e.target.startsWith(target))).length;
  return {
    settings: { base_url: sim.url, page_size: 50 },
    credentials: { api_key: 'test-key' },
    badCredentials: { api_key: 'wrong-key' },
    seeded: { orders: 120, products: 30, inventory: 30 },
    requestCount: () => sim.state.totalCalls(),
    failNext: (status, count) => void (status === 500 ? sim.faults.error500Next(count) : sim.faults.error503Next(count)),
    clearFaults: () => void sim.faults.clear(),
    writes: [
      { name: 'setStock', input: { sku: 'SKU-1', quantity: 7, location_id: 'default' }, effects: effectsOf('inventory.set', 'inventory/SKU-1@default') },
      {
        name: 'createShipment',
        input: { order_external_id: '100000002', lines: [{ external_line_id: order.items[0]!.id, sku: order.items[0]!.sku, quantity: 1 }], carrier: 'DHL', tracking_number: 'T1' },
        effects: effectsOf('shipments.create', 'orders/100000002/shipments/'),
      },
      { name: 'updateProduct', input: { sku: 'SKU-2', fields: { title: 'Contract title' } }, effects: effectsOf('products.update', 'products/SKU-2') },
      { name: 'createOrder', input: orderInput(1), effects: effectsOf('orders.create') },
      { name: 'cancelOrder', input: { order_external_id: cancelable.id, reason: 'contract' }, effects: effectsOf('orders.cancel', `orders/${cancelable.id}/cancel`) },
    ],
    stop: () => sim.stop(),
  };
});
