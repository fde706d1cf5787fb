// Stock: one level per (connection, sku, location).
import { z } from 'zod';
import { FulfillmentChannel, Timestamp } from './common.ts';

/**
 * The external id of a stock level: its SKU and location joined by `@`. Every inventory record an adapter
 * pulls or fetches carries this id, and `fetch('inventory', id)` takes it back; the store keys levels by it.
 * A SKU may itself contain `@`: the location is what follows the last one.
 * @example inventoryLevelId('TEE-RED-M', 'default') // 'TEE-RED-M@default'
 */
export function inventoryLevelId(sku: string, location: string): string {
  return `${sku}@${location}`;
}

/** The SKU and location of an id made by `inventoryLevelId`. */
export function parseInventoryLevelId(id: string): { sku: string; location: string } | null {
  const at = id.lastIndexOf('@');
  return at > 0 ? { sku: id.slice(0, at), location: id.slice(at + 1) } : null;
}

export const InventoryLevel = z
  .object({
    id: z.string(),
    connection_id: z.string(),
    channel: z.string(),
    sku: z.string().max(255),
    location_id: z.string().max(255).meta({ description: 'Upstream location: a Magento source code, an Amazon fulfillment network, or "default".' }),
    fulfillment_channel: FulfillmentChannel,
    on_hand: z.number().int(),
    reserved: z.number().int().min(0),
    available: z.number().int(),
    updated_at: Timestamp,
    synced_at: Timestamp,
  })
  .meta({ id: 'InventoryLevel' });
export type InventoryLevel = z.infer<typeof InventoryLevel>;

export const InventoryLevelInput = InventoryLevel.omit({ id: true, connection_id: true, channel: true, synced_at: true });
export type InventoryLevelInput = z.infer<typeof InventoryLevelInput>;
