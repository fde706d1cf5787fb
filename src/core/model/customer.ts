// Customers and categories.
import { z } from 'zod';
import { Address, SyncedFields } from './common.ts';

export const Customer = z
  .object({
    id: z.string(),
    ...SyncedFields,
    email: z.string().max(320).nullish(),
    first_name: z.string().max(255).nullish(),
    last_name: z.string().max(255).nullish(),
    phone: z.string().max(64).nullish(),
    group: z.string().max(255).nullish(),
    addresses: z.array(Address),
  })
  .meta({ id: 'Customer' });
export type Customer = z.infer<typeof Customer>;
export const CustomerInput = Customer.omit({ id: true, synced_at: true, connection_id: true, channel: true });
export type CustomerInput = z.infer<typeof CustomerInput>;

export const Category = z
  .object({
    id: z.string(),
    ...SyncedFields,
    name: z.string().max(1024),
    parent_id: z.string().nullish(),
    parent_external_id: z.string().max(255).nullish(),
    path: z.array(z.string()).meta({ description: 'Names from the root down to this category.' }),
    position: z.number().int(),
    is_active: z.boolean(),
  })
  .meta({ id: 'Category' });
export type Category = z.infer<typeof Category>;
export const CategoryInput = Category.omit({ id: true, synced_at: true, connection_id: true, channel: true, parent_id: true });
export type CategoryInput = z.infer<typeof CategoryInput>;
