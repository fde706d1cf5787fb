// The ChannelAdapter contract run for the Magento adapter against the Magento simulator (OAuth 1.0a
// integration tokens, the default since Magento 2.4.4). Every case follows from the manifest; the one gap
// is stock's incremental read: Magento keeps no change time on source items, so every inventory pull
// reads all of them and a window after every change cannot come back empty.
import { afterAll, expect } from 'vitest';
import { magentoAdapter } from '../../src/adapters/magento/index.ts';
import { startMagentoSim, type MagentoSim } from '../sim/magento/index.ts';
import { channelContract, type ContractSubject } from './channel-contract.ts';

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

const gaps = {
  'inventory.read: an incremental window after every change returns nothing': 'Magento keeps no change time on source items: every stock pull reads all of them (test/adapters/magento.test.ts covers stock reads)',
};

channelContract({ factory: magentoAdapter, gaps }, async (): Promise<ContractSubject> => {
  sim = await startMagentoSim({ seed: { simples: 40, configurables: 5, orders: 70, customers: 12, categories: 6 } });
  const s = sim;
  const open = (o: (typeof s.state.orders)[number]) => o.items.some((i) => i.parent_item_id === null && i.qty_ordered - i.qty_shipped - i.qty_canceled > 0);
  const order = s.state.orders.find((o) => o.state === 'processing' && open(o))!;
  const line = order.items.find((i) => i.parent_item_id === null && i.qty_ordered - i.qty_shipped - i.qty_canceled > 0)!;
  const cancelable = s.state.orders.find((o) => (o.state === 'new' || o.state === 'pending_payment') && o.entity_id !== order.entity_id)!;
  const simples = s.state.products.filter((p) => p.type_id === 'simple');
  const [sku, titled, priced, bulkA, bulkB, bulkC, bulkD] = simples.map((p) => p.sku) as [string, string, string, string, string, string, string];
  const qty = (k: string) => s.state.sourceItems.get(`${k.toLowerCase()}\u0000default`)?.quantity ?? 0;
  const current = qty(sku);
  const writesOf = (...skus: string[]) => skus.reduce((n, k) => n + (s.state.stockWrites.get(`${s.state.product(k)!.sku}@default`) ?? 0), 0);
  const product = (k: string) => s.state.product(k)!;
  return {
    settings: { base_url: s.url, store_code: 'default', page_size: 25 },
    credentials: { type: 'oauth1', ...s.credentials.oauth1 },
    badCredentials: { type: 'oauth1', ...s.credentials.oauth1, access_token_secret: 'wrong-secret' },
    seeded: {
      products: s.state.products.length,
      inventory: s.state.sourceItems.size,
      orders: s.state.orders.length,
      shipments: s.state.shipments.length,
      customers: s.state.customers.length,
      categories: s.state.categories.length,
    },
    absentIds: { products: 'contract-no-such-sku', inventory: 'contract-no-such-sku@default', orders: '999999', shipments: '999999', customers: '999999', categories: '999999' },
    scopes: s.state.stores.map((x) => x.code),
    requestCount: () => s.requestCount(),
    failNext: (status, count) => s.faults.failNext(status, count),
    clearFaults: () => s.faults.clear(),
    writes: [
      { name: 'setStock', input: { sku, quantity: current + 7, location_id: 'default' }, effects: () => writesOf(sku) },
      {
        name: 'setStockBulk',
        input: [{ sku: bulkA, quantity: qty(bulkA) + 3, location_id: 'default' }, { sku: bulkB, quantity: qty(bulkB) + 4, location_id: 'default' }],
        effects: () => writesOf(bulkA, bulkB),
        expected: 2,
      },
      { name: 'updateProduct', input: { sku: titled, fields: { title: 'Contract title' } }, effects: () => (product(titled).name === 'Contract title' ? 1 : 0) },
      { name: 'updatePrice', input: { sku: priced, price: { amount: '12.34', currency: 'USD' } }, effects: () => (product(priced).price === 12.34 ? 1 : 0) },
      {
        name: 'updatePriceBulk',
        input: [{ sku: bulkC, price: { amount: '21.50', currency: 'USD' } }, { sku: bulkD, price: { amount: '22.50', currency: 'USD' } }],
        effects: () => (product(bulkC).price === 21.5 ? 1 : 0) + (product(bulkD).price === 22.5 ? 1 : 0),
        expected: 2,
      },
      { name: 'cancelOrder', input: { order_external_id: String(cancelable.entity_id), reason: 'contract' }, effects: () => (s.state.ordersById.get(cancelable.entity_id)!.state === 'canceled' ? 1 : 0) },
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
  expect(sim, 'the simulator was started').toBeDefined();
  expect(sim!.violations).toEqual([]);
});
