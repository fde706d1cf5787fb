// Per-request DataLoaders: built for one request and one tenant, so a page of orders with its nested
// lines, products, variants, stock, shipments and customers costs one batch query per kind of record,
// not one per row, and nothing cached outlives the request or crosses tenants.
import DataLoader from 'dataloader';
import type { Category, Connection, Customer, InventoryLevel, Order, Product, Shipment } from '../core/model/index.ts';
import {
  categoriesById,
  connectionsById,
  customersById,
  inventoryBySkus,
  ordersWithLines,
  productsWithVariants,
  shipmentsByOrderIds,
} from '../store/batch.ts';
import type { Db } from '../store/db.ts';

export interface Loaders {
  order: DataLoader<string, Order | null>;
  product: DataLoader<string, Product | null>;
  customer: DataLoader<string, Customer | null>;
  connection: DataLoader<string, Connection | null>;
  category: DataLoader<string, Category | null>;
  /** Shipments of an order, oldest first. */
  shipmentsByOrder: DataLoader<string, Shipment[]>;
  /** Stock levels of a SKU on every connection and location of the tenant. */
  inventoryBySku: DataLoader<string, InventoryLevel[]>;
}

/** Bounds the size of one `= ANY($1)` array; a larger batch is split into several queries. */
const MAX_BATCH = 2000;

type BatchRead<V> = (db: Db, tenantId: string, keys: readonly string[]) => Promise<Map<string, V>>;

function byKey<V>(db: Db, tenantId: string, read: BatchRead<V>): DataLoader<string, V | null> {
  return new DataLoader<string, V | null>(
    async (keys) => {
      const found = await read(db, tenantId, keys);
      return keys.map((k) => found.get(k) ?? null);
    },
    { maxBatchSize: MAX_BATCH },
  );
}

function listByKey<V>(db: Db, tenantId: string, read: BatchRead<V[]>): DataLoader<string, V[]> {
  return new DataLoader<string, V[]>(
    async (keys) => {
      const found = await read(db, tenantId, keys);
      return keys.map((k) => found.get(k) ?? []);
    },
    { maxBatchSize: MAX_BATCH },
  );
}

/**
 * The loaders of one request of one tenant.
 * @example const loaders = createLoaders(db, 'ten_01J…'); await loaders.product.load('prd_01J…')
 */
export function createLoaders(db: Db, tenantId: string): Loaders {
  return {
    order: byKey(db, tenantId, ordersWithLines),
    product: byKey(db, tenantId, productsWithVariants),
    customer: byKey(db, tenantId, customersById),
    connection: byKey(db, tenantId, connectionsById),
    category: byKey(db, tenantId, categoriesById),
    shipmentsByOrder: listByKey(db, tenantId, shipmentsByOrderIds),
    inventoryBySku: listByKey(db, tenantId, inventoryBySkus),
  };
}
