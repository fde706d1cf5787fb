// Seeds one tenant with a realistic catalog and order book through the store's own upserts (as the sync
// engine writes): customers, products with variants, inventory levels at two locations, N orders of three
// lines each, and a shipment for every third order. Returns the API key and what was written.
import type { OrderInput, ShipmentInput } from '../../src/core/model/index.ts';
import type { Db } from '../../src/store/db.ts';
import { insertConnection } from '../../src/store/connections.ts';
import { upsertProducts } from '../../src/store/catalog.ts';
import { upsertInventory } from '../../src/store/inventory.ts';
import { upsertCustomers, upsertOrders, upsertShipments, type ConnectionRef } from '../../src/store/orders.ts';
import { createApiKey, createTenant } from '../../src/store/tenancy.ts';
import { customerInput, inventoryInput, orderInput, productInput, shipmentInput, testBox } from '../../test/support/seed.ts';
import { sql } from 'kysely';

export interface SeedOptions {
  orders: number;
  /** Orders per upsert transaction. */
  batch: number;
  /** Upsert transactions in flight at once. */
  parallel: number;
  customers: number;
  /** Distinct SKUs the order lines use (fixed at 100 by the shared fixtures). */
  skus: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Seeded {
  tenantId: string;
  apiKey: string;
  ref: ConnectionRef;
  counts: Record<string, number>;
}

/** Runs `work(0..n-1)` with at most `parallel` in flight. */
async function pooled(n: number, parallel: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
}

export async function seed(db: Db, opts: SeedOptions): Promise<Seeded> {
  const tenant = await createTenant(db, 'bench');
  const { key } = await createApiKey(db, tenant.id, 'bench');
  const connection = await insertConnection(db, testBox, tenant.id, {
    channel: 'magento',
    name: 'Bench shop',
    settings: { base_url: 'https://shop.example' },
    credentials: { api_key: 'bench-secret' },
  });
  const ref: ConnectionRef = { tenantId: tenant.id, connectionId: connection.id, channel: connection.channel };

  // Catalog first, so order lines and orders link to their variants and customers as they are stored.
  await upsertCustomers(db, ref, Array.from({ length: opts.customers }, (_, i) => customerInput(i)));
  await upsertProducts(db, ref, Array.from({ length: opts.skus }, (_, i) => productInput(i)));
  await upsertInventory(db, ref, [
    ...Array.from({ length: opts.skus }, (_, i) => inventoryInput(i, 'warehouse-1')),
    ...Array.from({ length: opts.skus }, (_, i) => inventoryInput(i, 'warehouse-2')),
  ]);

  const batches = Math.ceil(opts.orders / opts.batch);
  let done = 0;
  await pooled(batches, opts.parallel, async (b) => {
    const from = b * opts.batch;
    const to = Math.min(opts.orders, from + opts.batch);
    const orders: OrderInput[] = [];
    const shipments: ShipmentInput[] = [];
    for (let i = from; i < to; i++) {
      orders.push(orderInput(i, { customerExternalId: `C-${i % opts.customers}` }));
      if (i % 3 === 0) shipments.push(shipmentInput(i));
    }
    await db.transaction().execute(async (trx) => {
      await sql`SET LOCAL synchronous_commit = off`.execute(trx);
      await upsertOrders(trx, ref, orders);
      await upsertShipments(trx, ref, shipments);
    });
    done += to - from;
    opts.onProgress?.(done, opts.orders);
  });

  await sql`VACUUM ANALYZE`.execute(db);
  const counts: Record<string, number> = {};
  for (const table of ['orders', 'order_lines', 'shipments', 'customers', 'products', 'product_variants', 'inventory_levels'] as const) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return { tenantId: tenant.id, apiKey: key, ref, counts };
}
