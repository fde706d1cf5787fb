// Connection settings and credentials of a Magento 2 store, as clients post them to /v1/connections.
import { z } from 'zod';

export const MagentoSettings = z
  .object({
    /** The store's base URL, e.g. https://shop.example (REST lives under /rest/<store_code>/V1/). */
    base_url: z.string().url().max(2048),
    /** The store view whose titles, prices and currency reads use. Writes meant for every view go to /rest/all/. */
    store_code: z.string().regex(/^[a-z0-9_]{1,32}$/i, 'a Magento store code such as "default"').default('default'),
    /** Self-hosted Magento documents no API limit: a polite default budget, per store and operation. */
    rate_per_sec: z.number().positive().max(1000).default(10),
    burst: z.number().int().min(1).max(1000).default(20),
    timeout_ms: z.number().int().min(100).max(300_000).default(30_000),
    /** searchCriteria[pageSize] of list reads; Magento 2.4.7+ caps it at its "maximum page size" (default 300). */
    page_size: z.number().int().min(1).max(1000).default(300),
    /** Pages of one list read fetched at once, once the first page told the total. */
    page_concurrency: z.number().int().min(1).max(16).default(4),
    /** Stock API: auto probes for MSI (/V1/inventory/sources) once per connection. */
    inventory: z.enum(['auto', 'msi', 'legacy']).default('auto'),
    /** MSI: the stock whose salable quantity is read (1 = Default Stock). */
    stock_id: z.number().int().min(1).default(1),
    /** createOrder: the offline payment method recorded on imported orders. */
    order_payment_method: z.string().min(1).max(64).default('checkmo'),
    /**
     * createOrder: Magento reserves stock only for orders placed through checkout, never for an order saved
     * through POST /V1/orders. `deduct` takes each line's quantity off the default source (legacy: the
     * stock item) once per order; `none` for stores whose own extension already reserves or deducts it.
     */
    order_stock: z.enum(['deduct', 'none']).default('deduct'),
  })
  .strict();
export type MagentoSettings = z.infer<typeof MagentoSettings>;

const secret = z.string().min(1).max(1024);

export const MagentoCredentials = z.discriminatedUnion('type', [
  z.object({ type: z.literal('oauth1'), consumer_key: secret, consumer_secret: secret, access_token: secret, access_token_secret: secret }).strict(),
  z.object({ type: z.literal('bearer'), token: secret }).strict(),
  z.object({ type: z.literal('admin'), username: z.string().min(1).max(255), password: secret }).strict(),
]);
export type MagentoCredentials = z.infer<typeof MagentoCredentials>;
