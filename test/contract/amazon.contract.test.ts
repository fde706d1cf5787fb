// The ChannelAdapter contract run for Amazon against the SP-API simulator (test/sim/amazon).
import { afterAll } from 'vitest';
import { amazonAdapter } from '../../src/adapters/amazon/index.ts';
import { clearTokenCache } from '../../src/adapters/amazon/lwa.ts';
import { startAmazonSim } from '../sim/amazon/index.ts';
import { channelContract } from './channel-contract.ts';

let violations: string[] = [];

channelContract('amazon', async () => {
  clearTokenCache();
  const sim = await startAmazonSim({ seed: { listings: 60, orders: 150, fbaInventory: 6, seed: 7 }, rateLimits: false });
  const mfnStock = [...sim.state.listings.values()].filter((l) => sim.state.quantityOf(l.sku) !== null).length;
  const mfnOrder = [...sim.state.orders.values()].find((o) => o.fulfilledBy === 'MERCHANT' && o.status === 'UNSHIPPED' && o.items.length > 0)!;
  const stockSku = [...sim.state.listings.values()].find((l) => sim.state.quantityOf(l.sku) !== null)!.sku;
  const priceSku = [...sim.state.listings.values()].find((l) => l.sku !== stockSku && sim.state.priceOf(l.sku) !== null)!.sku;
  const settings = { region: 'na', seller_id: sim.sellerId, marketplace_ids: sim.marketplaceIds, endpoint: sim.url, lwa_endpoint: sim.lwaUrl, timeout_ms: 5_000 };
  return {
    factory: amazonAdapter,
    settings,
    credentials: sim.credentials,
    badCredentials: { ...sim.credentials, client_secret: 'amzn1.oa2-cs.v1.wrong' },
    seeded: { orders: sim.state.orders.size, products: sim.state.listings.size, inventory: mfnStock + sim.state.fbaInventory.size },
    requestCount: () => sim.requestCount(),
    failNext: (status, count) => sim.faults.failNext(status, count),
    clearFaults: () => sim.faults.clear(),
    writes: [
      {
        name: 'setStock',
        input: { sku: stockSku, quantity: (sim.state.quantityOf(stockSku) ?? 0) + 17 },
        effects: () => sim.state.listingWrites.filter((w) => w.sku === stockSku).length,
      },
      {
        name: 'updatePrice',
        input: { sku: priceSku, price: { amount: (sim.state.priceOf(priceSku)! + 3).toFixed(2), currency: 'USD' } },
        effects: () => sim.state.listingWrites.filter((w) => w.sku === priceSku).length,
      },
      {
        name: 'createShipment',
        input: { order_external_id: mfnOrder.orderId, lines: [{ external_line_id: mfnOrder.items[0]!.orderItemId, sku: mfnOrder.items[0]!.sku, quantity: 1 }], carrier: 'UPS', tracking_number: '1Z999' },
        effects: () => (sim.state.confirmations.get(mfnOrder.orderId) ?? []).length,
      },
    ],
    stop: async () => {
      violations = [...sim.violations];
      await sim.stop();
    },
  };
});

afterAll(() => {
  if (violations.length) throw new Error(`the simulator saw responses that do not validate against the models: ${violations.slice(0, 3).join('; ')}`);
});
