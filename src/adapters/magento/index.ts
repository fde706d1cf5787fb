// The Magento 2 channel's entry in the adapter registry.
import type { AdapterFactory } from '../../core/ports.ts';
import { createMagentoAdapter } from './adapter.ts';
import { MagentoCredentials, MagentoSettings } from './schemas.ts';

export { createMagentoAdapter, idempotencyMarker, orderEntity } from './adapter.ts';
export { MagentoCredentials, MagentoSettings } from './schemas.ts';

export const magentoAdapter: AdapterFactory<MagentoSettings, MagentoCredentials> = {
  manifest: {
    channel: 'magento',
    displayName: 'Magento 2',
    capabilities: [
      'products.read',
      'products.write',
      'inventory.read',
      'inventory.write',
      'orders.read',
      'orders.write',
      'orders.cancel',
      'shipments.read',
      'shipments.write',
      'customers.read',
      'categories.read',
    ],
  },
  // updated_at has one-second resolution and is stamped when the row is saved: a short lag, a minute of
  // overlap. Stock has no change time in Magento: each inventory pull reads every source item.
  sync: {
    safetyLagMs: 2_000,
    overlapMs: 60_000,
    intervalsSec: { orders: 60, shipments: 120, inventory: 300, products: 900, customers: 900, categories: 3600 },
    detectsDeletions: { products: true, inventory: true, categories: true, customers: true },
  },
  settingsSchema: MagentoSettings,
  credentialsSchema: MagentoCredentials,
  create: (ctx) => createMagentoAdapter(ctx),
};
