// Building blocks shared by the canonical entities: money, addresses, timestamps, channel references.
import { z } from 'zod';

/** Decimal amounts travel as strings so no float ever rounds a price. */
export const DecimalString = z
  .string()
  .max(40)
  .regex(/^-?\d{1,18}(\.\d{1,8})?$/, 'must be a decimal string such as "19.99"');

export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"');

export const Money = z
  .object({ amount: DecimalString, currency: CurrencyCode })
  .meta({ id: 'Money', description: 'An amount of money: a decimal string and an ISO 4217 currency.' });
export type Money = z.infer<typeof Money>;

export const Timestamp = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 date-time (UTC in responses).' });

export const Channel = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,31}$/, 'must be a channel name such as "magento"')
  .meta({ description: 'The adapter that owns the record (e.g. magento, amazon).' });

export const FulfillmentChannel = z
  .enum(['merchant', 'marketplace'])
  .meta({ id: 'FulfillmentChannel', description: 'merchant: the seller ships (Magento, Amazon MFN); marketplace: the marketplace ships (Amazon FBA).' });
export type FulfillmentChannel = z.infer<typeof FulfillmentChannel>;

const short = z.string().max(255);

export const Address = z
  .object({
    name: short.nullish(),
    company: short.nullish(),
    line1: short.nullish(),
    line2: short.nullish(),
    line3: short.nullish(),
    city: short.nullish(),
    region: short.nullish(),
    postal_code: z.string().max(32).nullish(),
    country: z.string().regex(/^[A-Z]{2}$/).nullish().meta({ description: 'ISO 3166-1 alpha-2' }),
    phone: z.string().max(64).nullish(),
    email: z.string().max(320).nullish(),
  })
  .meta({ id: 'Address' });
export type Address = z.infer<typeof Address>;

/** Fields every synced record carries: where it came from and when. */
export const SyncedFields = {
  connection_id: z.string(),
  channel: Channel,
  external_id: z.string().max(255).meta({ description: "The record's id on the upstream platform." }),
  created_at: Timestamp.meta({ description: 'Creation time on the upstream platform.' }),
  updated_at: Timestamp.meta({ description: 'Last change on the upstream platform.' }),
  synced_at: Timestamp.meta({ description: 'When Switchyard last stored this record.' }),
};

/** Identifiers a product or variant may carry. */
export const Identifiers = z
  .object({
    sku: z.string().max(255).nullish(),
    gtin: z.string().max(14).nullish(),
    ean: z.string().max(13).nullish(),
    upc: z.string().max(12).nullish(),
    isbn: z.string().max(13).nullish(),
    asin: z.string().max(10).nullish(),
    mpn: z.string().max(255).nullish(),
  })
  .meta({ id: 'Identifiers' });
export type Identifiers = z.infer<typeof Identifiers>;

/** Typed attribute bag: scalars or lists of scalars, keyed by attribute code. */
export const AttributeValue = z.union([z.string().max(65535), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()])), z.null()]);
export const Attributes = z.record(z.string().max(255), AttributeValue).meta({ id: 'Attributes' });
export type Attributes = z.infer<typeof Attributes>;
