// The flows between the Magento and Amazon simulators through the REST API: an Amazon order imported
// into Magento with Amazon's totals, and Magento stock carried to the Amazon listing by the rules. The
// flows name neither channel; the profile maps the Amazon SKU to the Magento one.
import { afterEach, describe, expect, test } from 'vitest';
import { amazonAdapter } from '../src/adapters/amazon/index.ts';
import { clearTokenCache } from '../src/adapters/amazon/lwa.ts';
import { magentoAdapter } from '../src/adapters/magento/index.ts';
import { startAmazonSim, type AmazonSim } from './sim/amazon/index.ts';
import { startMagentoSim, type MagentoSim } from './sim/magento/index.ts';
import { startGateway, type TestGateway } from './support/app.ts';
import { post } from './support/flows-harness.ts';
import { listAll, waitFor } from './support/sync-harness.ts';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('Amazon and Magento simulators', () => {
  test('an Amazon order becomes one Magento order with Amazon\'s totals; Magento stock reaches the Amazon listing', { timeout: 120_000 }, async () => {
    clearTokenCache();
    const mg: MagentoSim = await startMagentoSim({ seed: { simples: 8, configurables: 0, orders: 0, customers: 2, categories: 2 } });
    const az: AmazonSim = await startAmazonSim({ seed: { listings: 6, orders: 0, fbaInventory: 0, seed: 7 }, rateLimits: false });
    const gw: TestGateway = await startGateway({ adapters: [magentoAdapter, amazonAdapter] });
    gw.tdb.pool.on('error', () => undefined);
    stop = async () => {
      await gw.close();
      await az.stop();
      await mg.stop();
    };
    const magento = await post(gw, '/v1/connections', { channel: 'magento', name: 'Magento (simulator)', settings: { base_url: mg.url, store_code: 'default' }, credentials: { type: 'oauth1', ...mg.credentials.oauth1 } });
    const amazon = await post(gw, '/v1/connections', {
      channel: 'amazon',
      name: 'Amazon (simulator)',
      settings: { region: 'na', seller_id: az.sellerId, marketplace_ids: az.marketplaceIds, endpoint: az.url, lwa_endpoint: az.lwaUrl },
      credentials: az.credentials,
    });
    await gw.engine.startWorkers(4);
    const mSku = mg.state.products.find((p) => p.type_id === 'simple')!.sku;
    const aSku = [...az.state.listings.values()].find((l) => az.state.quantityOf(l.sku) !== null)!.sku;
    await waitFor('both sides pulled', async () => (await listAll(gw, `/v1/products?connection_id=${amazon.id}`)).length > 0 && (await listAll(gw, `/v1/inventory?connection_id=${magento.id}`)).length > 0, 60_000);

    const profile = await post(gw, '/v1/profiles', { name: 'Magento to Amazon', rules: { inventory: { buffer: 2 }, identifiers: { sku_map: { [aSku]: mSku } }, customer: { policy: 'guest' } } });
    await post(gw, '/v1/links', { name: 'stock', flow: 'inventory_sync', source_connection_id: magento.id, targets: [{ connection_id: amazon.id }], profile_id: profile.id, options: { debounce_ms: 100 } });
    await post(gw, '/v1/links', { name: 'orders', flow: 'order_import', source_connection_id: amazon.id, targets: [{ connection_id: magento.id }], profile_id: profile.id, options: { debounce_ms: 100, import_orders_placed_after: new Date(Date.now() - 3_600_000).toISOString() } });

    // Stock: Magento's salable quantity of mSku minus the buffer, on the Amazon SKU mapped to it.
    const level = await waitFor('Magento stock mirrored', async () => (await listAll(gw, `/v1/inventory?connection_id=${magento.id}&sku=${encodeURIComponent(mSku)}`))[0]);
    const expected = Math.max(0, level.available - 2);
    await waitFor(`Amazon quantity of ${aSku} at ${expected}`, () => az.state.quantityOf(aSku) === expected, 60_000);

    // An Amazon order placed three minutes ago (outside the two-minute lag): imported into Magento.
    const order = az.state.placeOrder({ items: [{ sku: aSku, quantity: 2, unitPrice: '12.50' }], createdTime: Date.now() - 180_000 });
    await post(gw, `/v1/connections/${amazon.id}/sync`, { entities: ['orders'] }, 202);
    const imported = await waitFor('the order in Magento', () => mg.state.orders.find((o) => o.ext_order_id === order.orderId || JSON.stringify(o.extra ?? {}).includes(order.orderId) || o.items.some((i) => i.sku === mSku)), 60_000);
    const azOrder = (await listAll(gw, `/v1/orders?connection_id=${amazon.id}`)).find((o) => o.external_id === order.orderId);
    expect(imported.grand_total.toFixed(2)).toBe(azOrder.totals.total.amount);
    expect(mg.state.orders.filter((o) => o.items.some((i) => i.sku === mSku))).toHaveLength(1);
  });
});
