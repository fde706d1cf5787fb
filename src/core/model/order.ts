// Orders with their lines, in one shape whatever channel they come from.
import { z } from 'zod';
import { Address, FulfillmentChannel, Money, SyncedFields, Timestamp } from './common.ts';

export const ORDER_STATUSES = ['pending', 'processing', 'partially_shipped', 'shipped', 'delivered', 'canceled', 'refunded', 'on_hold'] as const;
export const OrderStatus = z.enum(ORDER_STATUSES).meta({ id: 'OrderStatus' });
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderLine = z
  .object({
    id: z.string(),
    external_id: z.string().max(255),
    sku: z.string().max(255),
    title: z.string().max(1024).nullish(),
    quantity: z.number().int().min(0),
    quantity_shipped: z.number().int().min(0),
    quantity_canceled: z.number().int().min(0),
    unit_price: Money,
    tax: Money,
    discount: Money,
    total: Money,
    product_id: z.string().nullish().meta({ description: 'The matching product of the same connection, when known.' }),
    variant_id: z.string().nullish(),
  })
  .meta({ id: 'OrderLine' });
export type OrderLine = z.infer<typeof OrderLine>;

export const OrderTotals = z
  .object({ subtotal: Money, shipping: Money, tax: Money, discount: Money, total: Money })
  .meta({ id: 'OrderTotals' });

export const CustomerRef = z
  .object({
    customer_id: z.string().nullish(),
    email: z.string().max(320).nullish(),
    name: z.string().max(255).nullish(),
  })
  .meta({ id: 'CustomerRef' });

export const Order = z
  .object({
    id: z.string(),
    ...SyncedFields,
    order_number: z.string().max(255),
    marketplace_id: z.string().max(64).nullish(),
    status: OrderStatus,
    channel_status: z.string().max(128).meta({ description: "The platform's own status value." }),
    fulfillment_channel: FulfillmentChannel,
    currency: z.string().regex(/^[A-Z]{3}$/),
    totals: OrderTotals,
    billing_address: Address.nullish(),
    shipping_address: Address.nullish(),
    customer: CustomerRef,
    lines: z.array(OrderLine),
    placed_at: Timestamp.nullish(),
  })
  .meta({ id: 'Order' });
export type Order = z.infer<typeof Order>;

export const OrderInput = Order.omit({ id: true, synced_at: true, connection_id: true, channel: true, lines: true, customer: true }).extend({
  customer: CustomerRef.omit({ customer_id: true }).extend({ external_id: z.string().nullish() }),
  lines: z.array(OrderLine.omit({ id: true, product_id: true, variant_id: true })),
});
export type OrderInput = z.infer<typeof OrderInput>;
