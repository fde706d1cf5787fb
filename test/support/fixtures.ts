// A small, complete data set for one tenant, written through the store as the sync engine writes it:
// two connections (channels "scripted" and "other"), products with variants, orders with lines,
// shipments, customers, a category tree and stock levels. Raw payloads are kept for a few records.
import type { CategoryInput, Connection } from '../../src/core/model/index.ts';
import type { Db } from '../../src/store/db.ts';
import { upsertCategories, upsertProducts } from '../../src/store/catalog.ts';
import { upsertInventory } from '../../src/store/inventory.ts';
import { upsertCustomers, upsertOrders, upsertShipments, type ConnectionRef } from '../../src/store/orders.ts';
import { customerInput, inventoryInput, orderInput, productInput, seedConnection, shipmentInput } from './seed.ts';

export function categoryInput(i: number, parent?: number): CategoryInput {
  const t = new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000).toISOString();
  return {
    external_id: `CAT-${i}`,
    name: `Category ${i}`,
    parent_external_id: parent === undefined ? null : `CAT-${parent}`,
    path: parent === undefined ? [`Category ${i}`] : [`Category ${parent}`, `Category ${i}`],
    position: i,
    is_active: true,
    created_at: t,
    updated_at: t,
  };
}

export const rawOf = (kind: string, externalId: string) => ({ upstream: kind, external_id: externalId, note: `raw-${kind}-${externalId}` });

export interface Dataset {
  con1: Connection;
  con2: Connection;
  ref1: ConnectionRef;
  ref2: ConnectionRef;
}

/**
 * con1 ("scripted"): orders 1..10 (3 lines each; 5 and 10 shipped), products 1..4 (product 1 with 3
 * variants), customers 1..3, categories 1 (root) and 2 (child of 1), stock for SKU-1..3, a shipment of
 * order 1. con2 ("other"): orders 101..103 fulfilled by the marketplace, product 101, customer 101,
 * category 101, stock for SKU-101 at location "fba".
 */
export async function seedDataset(db: Db, tenantId: string, opts: { prefix?: string } = {}): Promise<Dataset> {
  const con1 = await seedConnection(db, tenantId, 'scripted', `${opts.prefix ?? ''}Shop one`);
  const con2 = await seedConnection(db, tenantId, 'other', `${opts.prefix ?? ''}Shop two`);
  const ref1 = { tenantId, connectionId: con1.id, channel: 'scripted' };
  const ref2 = { tenantId, connectionId: con2.id, channel: 'other' };

  const orders1 = Array.from({ length: 10 }, (_, k) => orderInput(k + 1));
  await upsertOrders(db, ref1, orders1, new Map(orders1.map((o) => [o.external_id, rawOf('order', o.external_id)])));
  await upsertOrders(db, ref2, [101, 102, 103].map((i) => ({ ...orderInput(i), fulfillment_channel: 'marketplace' as const, status: 'pending' as const, channel_status: 'Pending' })));

  await upsertProducts(db, ref1, [productInput(1, 3), productInput(2), productInput(3), { ...productInput(4), status: 'inactive' }], new Map([['P-2', rawOf('product', 'P-2')]]));
  await upsertProducts(db, ref2, [productInput(101)]);

  await upsertCustomers(db, ref1, [customerInput(1), customerInput(2), customerInput(3)], new Map([['C-1', rawOf('customer', 'C-1')]]));
  await upsertCustomers(db, ref2, [customerInput(101)]);

  await upsertCategories(db, ref1, [categoryInput(1), categoryInput(2, 1)]);
  await upsertCategories(db, ref2, [categoryInput(101)]);

  await upsertInventory(db, ref1, [inventoryInput(1), inventoryInput(2), inventoryInput(3), inventoryInput(1, 'warehouse-2')]);
  await upsertInventory(db, ref2, [{ ...inventoryInput(101, 'fba'), fulfillment_channel: 'marketplace' }]);

  await upsertShipments(db, ref1, [shipmentInput(1)], new Map([['S-1-0', rawOf('shipment', 'S-1-0')]]));
  return { con1, con2, ref1, ref2 };
}
