// The ChannelAdapter contract run for the Magento adapter against the Magento simulator (OAuth 1.0a
// integration tokens, the default since Magento 2.4.4). Stock is left out of `seeded`: Magento keeps no
// change time on source items, so every inventory pull reads all of them and an "incremental window after
// every change" cannot come back empty; test/adapters/magento-pull.test.ts covers stock reads.
import { afterAll, expect, test } from 'vitest';
import { magentoAdapter } from '../../src/adapters/magento/index.ts';
import { startMagentoSim, type MagentoSim } from '../sim/magento/index.ts';
import { channelContract } from './channel-contract.ts';

let sim: MagentoSim | undefined;

/** An order from another channel, in EUR, with its own totals. */
const importedOrder = (sku: string) => {
  const m = (amount: string) => ({ amount, currency: 'EUR' });
  const address = { name: 'Erika Mustermann', line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE', phone: '+49301234' };
  return {
    external_id: 'ext-1',
    order_number: '302-0000000-0000001',
    marketplace_id: 'A1PA6795UKMFR9',
    status: 'processing',
    channel_status: 'Unshipped',
    fulfillment_channel: 'merchant',
    currency: 'EUR',
    totals: { subtotal: m('20.00'), shipping: m('3.50'), tax: m('4.47'), discount: m('0.00'), total: m('27.97') },
    billing_address: address,
    shipping_address: address,
    customer: { external_id: null, email: 'erika@example.com', name: 'Erika Mustermann' },
    lines: [{ external_id: 'l1', sku, title: 'Imported', quantity: 2, quantity_shipped: 0, quantity_canceled: 0, unit_price: m('10.00'), tax: m('3.80'), discount: m('0.00'), total: m('20.00') }],
    placed_at: '2026-11-01T10:00:00.000Z',
    created_at: '2026-11-01T10:00:00.000Z',
    updated_at: '2026-11-01T10:00:00.000Z',
  };
};

channelContract('magento', async () => {
  sim = await startMagentoSim({ seed: { simples: 40, configurables: 5, orders: 70, customers: 12, categories: 6 } });
  const s = sim;
  const order = s.state.orders.find((o) => o.state === 'processing' && o.items.some((i) => i.parent_item_id === null && i.qty_ordered - i.qty_shipped - i.qty_canceled > 0))!;
  const line = order.items.find((i) => i.parent_item_id === null && i.qty_ordered - i.qty_shipped - i.qty_canceled > 0)!;
  const sku = s.state.products.find((p) => p.type_id === 'simple')!.sku;
  const current = s.state.sourceItems.get(`${sku}\u0000default`)?.quantity ?? 0;
  return {
    factory: magentoAdapter,
    settings: { base_url: s.url, store_code: 'default', page_size: 25 },
    credentials: { type: 'oauth1', ...s.credentials.oauth1 },
    badCredentials: { type: 'oauth1', ...s.credentials.oauth1, access_token_secret: 'wrong-secret' },
    seeded: {
      products: s.state.products.length,
      orders: s.state.orders.length,
      shipments: s.state.shipments.length,
      customers: s.state.customers.length,
      categories: s.state.categories.length,
    },
    requestCount: () => s.requestCount(),
    failNext: (status, count) => s.faults.failNext(status, count),
    clearFaults: () => s.faults.clear(),
    writes: [
      { name: 'setStock', input: { sku, quantity: current + 7, location_id: 'default' }, effects: () => s.state.stockWrites.get(`${sku}@default`) ?? 0 },
      {
        name: 'createShipment',
        input: { order_external_id: String(order.entity_id), lines: [{ external_line_id: String(line.item_id), sku: line.sku, quantity: 1 }], carrier: 'DHL', tracking_number: 'T1' },
        effects: () => s.state.shipments.filter((x) => x.order_id === order.entity_id).length,
      },
      {
        name: 'createOrder',
        input: importedOrder(sku),
        effects: () => s.state.orders.filter((o) => o.ext_order_id?.startsWith('sy-')).length,
      },
      {
        name: 'addOrderComment',
        input: { order_external_id: String(order.entity_id), comment: 'Packed' },
        effects: () => s.state.comments.filter((c) => c.comment?.startsWith('Packed')).length,
      },
    ],
    stop: () => s.stop(),
  };
});

afterAll(() => {
  // Every request the adapter sent and every answer it got matched the official admin schema.
  expect(sim?.violations ?? []).toEqual([]);
});

test('the simulator was started', () => expect(sim).toBeDefined());
