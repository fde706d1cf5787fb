// Ports: what the core needs from the outside world. Adapters implement ChannelAdapter; the store and
// the job engine implement the rest. Nothing here knows a channel's name.
import type { z } from 'zod';

/** What a channel can do. Flows ask for a capability, never for a channel name. */
export const CAPABILITIES = [
  'products.read',
  'products.write',
  'inventory.read',
  'inventory.write',
  'orders.read',
  'orders.write',
  'shipments.read',
  'shipments.write',
  'customers.read',
  'categories.read',
  'listings.read',
  'listings.write',
  'listings.feed',
  'orders.cancel',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface CapabilityManifest {
  channel: string;
  /** Human-readable name, e.g. "Magento 2". */
  displayName: string;
  capabilities: readonly Capability[];
}

/** Everything an adapter instance gets to know about the connection it serves. */
export interface AdapterContext<S, C> {
  connectionId: string;
  tenantId: string;
  settings: S;
  credentials: C;
  /** Whether loopback and private addresses may be reached (tests, demo). */
  allowPrivateUpstreams: boolean;
}

/** One connection's live access to its upstream. */
export interface ChannelAdapter {
  /** Proves the credentials and settings work; throws AppError (auth_failed, validation, upstream_unavailable). */
  testConnection(): Promise<void>;
}

/**
 * A channel's entry in the adapter registry.
 * @example
 * export const shopify: AdapterFactory<ShopifySettings, ShopifyCredentials> = {
 *   manifest: { channel: 'shopify', displayName: 'Shopify', capabilities: ['orders.read'] },
 *   settingsSchema, credentialsSchema,
 *   create: (ctx) => new ShopifyAdapter(ctx),
 * };
 */
export interface AdapterFactory<S = unknown, C = unknown> {
  manifest: CapabilityManifest;
  settingsSchema: z.ZodType<S>;
  credentialsSchema: z.ZodType<C>;
  create(ctx: AdapterContext<S, C>): ChannelAdapter;
}

/** Encrypts and decrypts connection credentials at rest. */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}
