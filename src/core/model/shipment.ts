// Shipments of an order: which lines, how many, by which carrier and tracking number.
import { z } from 'zod';
import { SyncedFields, Timestamp } from './common.ts';

export const ShipmentLine = z
  .object({
    order_line_id: z.string().nullish(),
    external_line_id: z.string().max(255).nullish(),
    sku: z.string().max(255),
    quantity: z.number().int().min(1),
  })
  .meta({ id: 'ShipmentLine' });

export const Shipment = z
  .object({
    id: z.string(),
    ...SyncedFields,
    order_id: z.string(),
    lines: z.array(ShipmentLine),
    carrier: z.string().max(255).nullish(),
    service: z.string().max(255).nullish(),
    tracking_number: z.string().max(255).nullish(),
    tracking_url: z.string().max(2048).nullish(),
    shipped_at: Timestamp.nullish(),
  })
  .meta({ id: 'Shipment' });
export type Shipment = z.infer<typeof Shipment>;

export const ShipmentInput = Shipment.omit({ id: true, synced_at: true, connection_id: true, channel: true, order_id: true }).extend({
  order_external_id: z.string().max(255),
});
export type ShipmentInput = z.infer<typeof ShipmentInput>;
