// Stock: one level per (connection, sku, location).
import { z } from 'zod';
import { FulfillmentChannel, Timestamp } from './common.ts';

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
