// The ChannelAdapter contract run for Amazon against the SP-API simulator (test/sim/amazon). Every case
// follows from the manifest; the one gap is reading a single stock level again (`fetch` of inventory):
// SP-API has no read of one level by id, and notifications only name orders.
import { afterAll } from 'vitest';
import { amazonAdapter } from '../../src/adapters/amazon/index.ts';
import { clearTokenCache } from '../../src/adapters/amazon/lwa.ts';
import { startAmazonSim } from '../sim/amazon/index.ts';
import { channelContract, type ContractSubject } from './channel-contract.ts';

let violations: string[] = [];

const gaps = {
  'inventory.read: fetch reads one pulled record again by its id, and answers null for an id that names none':
    'SP-API reads stock per SKU inside listings and FBA summaries, with no single read of one level; notifications only name orders',
};

channelContract({ factory: amazonAdapter, gaps }, async (): Promise<ContractSubject> => {
  clearTokenCache();
  const sim = await startAmazonSim({ seed: { listings: 60, orders: 150, fbaInventory: 6, seed: 7 }, rateLimits: false });
  const listings = [...sim.state.listings.values()];
  const withStock = listings.filter((l) => sim.state.quantityOf(l.sku) !== null);
  const withPrice = listings.filter((l) => sim.state.priceOf(l.sku) !== null);
  const mfnOrders = [...sim.state.orders.values()].filter((o) => o.fulfilledBy === 'MERCHANT' && o.status === 'UNSHIPPED' && o.items.length > 0);
  const mfnOrder = mfnOrders[0]!;
  const stockSku = withStock[0]!.sku;
  const priceSku = withPrice.find((l) => l.sku !== stockSku)!.sku;
  const [bulkStockA, bulkStockB] = withStock.slice(1, 3).map((l) => l.sku) as [string, string];
  const [bulkPriceA, bulkPriceB] = withPrice.filter((l) => ![stockSku, priceSku].includes(l.sku)).slice(0, 2).map((l) => l.sku) as [string, string];
  const titled = listings.find((l) => ![stockSku, priceSku, bulkStockA, bulkStockB, bulkPriceA, bulkPriceB].includes(l.sku))!.sku;
  const feedSkus = withStock.slice(3, 3 + 21).map((l) => l.sku);
  const writesOf = (...skus: string[]) => sim.state.listingWrites.filter((w) => skus.includes(w.sku)).length;
  const mp = sim.marketplaceIds[0]!;
  const luggage = (sku: string, withColor: boolean) => ({
    sku,
    product_type: 'LUGGAGE',
    attributes: { item_name: [{ value: 'Contract case', marketplace_id: mp }], brand: [{ value: 'B' }], condition_type: [{ value: 'new_new' }], ...(withColor ? { color: [{ value: 'Red' }] } : {}) },
  });
  const catalogListing = sim.state.listings.get('SIM-000002')!;
  const ean = (catalogListing.attributes.externally_assigned_product_identifier![0] as { value: string }).value;
  // Notifications of two seeded orders, as the SQS forwarder posts them; the same one for another seller.
  const notified = [mfnOrders[1]!, mfnOrders[2]!].map((o) => ({ order: o, n: sim.state.emitOrderChange(o) }));
  const foreign = structuredClone(notified[0]!.n);
  foreign.Payload.OrderChangeNotification.SellerId = 'A0THERSELLER';
  const settings = { region: 'na', seller_id: sim.sellerId, marketplace_ids: sim.marketplaceIds, endpoint: sim.url, lwa_endpoint: sim.lwaUrl, timeout_ms: 5_000 };
  return {
    settings,
    credentials: sim.credentials,
    badCredentials: { ...sim.credentials, client_secret: 'amzn1.oa2-cs.v1.wrong' },
    seeded: { orders: sim.state.orders.size, products: sim.state.listings.size, inventory: withStock.length + sim.state.fbaInventory.size },
    absentIds: { orders: '999-9999999-9999999', products: 'CONTRACT-NO-SUCH-SKU' },
    requestCount: () => sim.requestCount(),
    failNext: (status, count) => sim.faults.failNext(status, count),
    clearFaults: () => sim.faults.clear(),
    writes: [
      { name: 'setStock', input: { sku: stockSku, quantity: (sim.state.quantityOf(stockSku) ?? 0) + 17 }, effects: () => writesOf(stockSku) },
      { name: 'updatePrice', input: { sku: priceSku, price: { amount: (sim.state.priceOf(priceSku)! + 3).toFixed(2), currency: 'USD' } }, effects: () => writesOf(priceSku) },
      {
        name: 'updateProduct',
        input: { sku: titled, fields: { title: 'Contract title' } },
        effects: () => ((sim.state.listings.get(titled)!.attributes.item_name?.[0] as { value?: string } | undefined)?.value === 'Contract title' ? 1 : 0),
      },
      {
        name: 'setStockBulk',
        input: [bulkStockA, bulkStockB].map((sku, i) => ({ sku, quantity: (sim.state.quantityOf(sku) ?? 0) + 5 + i })),
        effects: () => writesOf(bulkStockA, bulkStockB),
        expected: 2,
      },
      {
        name: 'updatePriceBulk',
        input: [bulkPriceA, bulkPriceB].map((sku) => ({ sku, price: { amount: (sim.state.priceOf(sku)! + 2).toFixed(2), currency: 'USD' } })),
        effects: () => writesOf(bulkPriceA, bulkPriceB),
        expected: 2,
      },
      { name: 'publishListings', input: [luggage('CONTRACT-NEW-1', true)], effects: () => (sim.state.listings.has('CONTRACT-NEW-1') ? 1 : 0) },
      {
        name: 'createShipment',
        input: { order_external_id: mfnOrder.orderId, lines: [{ external_line_id: mfnOrder.items[0]!.orderItemId, sku: mfnOrder.items[0]!.sku, quantity: 1 }], carrier: 'UPS', tracking_number: '1Z999' },
        effects: () => (sim.state.confirmations.get(mfnOrder.orderId) ?? []).length,
      },
    ],
    feedWrites: [{ name: 'setStockBulk', input: feedSkus.map((sku) => ({ sku, quantity: (sim.state.quantityOf(sku) ?? 0) + 9 })), effects: () => sim.state.feeds.size }],
    catalog: { identifier: { type: 'EAN', value: ean }, expect: catalogListing.asin! },
    scopes: sim.marketplaceIds,
    notifications: {
      samples: notified.map(({ order, n }) => ({ body: { MessageId: `m-${order.orderId}`, Body: JSON.stringify(n) }, fetch: [{ entity: 'orders', externalId: order.orderId }] })),
      foreign: { MessageId: 'm-foreign', Body: JSON.stringify(foreign) },
    },
    listingChecks: { valid: luggage('CONTRACT-CHECK-1', true), invalid: luggage('CONTRACT-CHECK-2', false) },
    stop: async () => {
      violations = [...sim.violations];
      await sim.stop();
    },
  };
});

afterAll(() => {
  if (violations.length) throw new Error(`the simulator saw responses that do not validate against the models: ${violations.slice(0, 3).join('; ')}`);
});
