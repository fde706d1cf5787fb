// Product and variant: a simple product is a product with one variant.
import { z } from 'zod';
import { Attributes, Identifiers, Money, SyncedFields, Timestamp } from './common.ts';

export const Price = z
  .object({
    connection_id: z.string().nullish().meta({ description: 'Connection the price applies to; null for the source price.' }),
    marketplace_id: z.string().max(64).nullish(),
    price: Money,
    sale_price: Money.nullish(),
  })
  .meta({ id: 'Price' });
export type Price = z.infer<typeof Price>;

export const Image = z
  .object({
    url: z.string().max(2048),
    position: z.number().int().min(0),
    alt: z.string().max(1024).nullish(),
    roles: z.array(z.string().max(64)).default([]),
  })
  .meta({ id: 'Image' });

export const ProductOption = z
  .object({ name: z.string().max(255), values: z.array(z.string().max(255)) })
  .meta({ id: 'ProductOption', description: 'A variation axis such as size or color, with its values.' });

export const ProductStatus = z.enum(['active', 'inactive', 'draft', 'archived']);

export const Variant = z
  .object({
    id: z.string(),
    product_id: z.string(),
    external_id: z.string().max(255),
    sku: z.string().max(255),
    title: z.string().max(1024).nullish(),
    position: z.number().int().min(0),
    options: z.record(z.string(), z.string()).meta({ description: 'Option name to value, e.g. {"size":"M"}.' }),
    identifiers: Identifiers,
    prices: z.array(Price),
    weight: z.object({ value: z.string(), unit: z.enum(['kg', 'g', 'lb', 'oz']) }).nullish(),
    attributes: Attributes,
    updated_at: Timestamp,
  })
  .meta({ id: 'Variant' });
export type Variant = z.infer<typeof Variant>;

export const Product = z
  .object({
    id: z.string(),
    ...SyncedFields,
    title: z.string().max(1024),
    description: z.string().max(200_000).nullish(),
    status: ProductStatus,
    product_type: z.string().max(128).nullish(),
    brand: z.string().max(255).nullish(),
    options: z.array(ProductOption),
    identifiers: Identifiers,
    attributes: Attributes,
    images: z.array(Image),
    category_ids: z.array(z.string()),
    prices: z.array(Price),
    variants: z.array(Variant),
  })
  .meta({ id: 'Product' });
export type Product = z.infer<typeof Product>;

/** What an adapter hands the store for one product; ids are assigned by the store. */
export const ProductInput = Product.omit({ id: true, synced_at: true, connection_id: true, channel: true, variants: true }).extend({
  variants: z.array(Variant.omit({ id: true, product_id: true })),
});
export type ProductInput = z.infer<typeof ProductInput>;
