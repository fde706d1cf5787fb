// The adapter registry: the one place that names channels. Adding a channel is one line here plus
// its folder under src/adapters/<channel>/.
import { CAPABILITIES, type AdapterFactory } from '../core/ports.ts';
import { amazonAdapter } from './amazon/index.ts';
import { magentoAdapter } from './magento/index.ts';

export class AdapterRegistry {
  readonly #factories = new Map<string, AdapterFactory>();

  constructor(factories: readonly AdapterFactory[] = []) {
    for (const f of factories) this.register(f);
  }

  /** Adds a channel; the manifest is checked here so a bad adapter fails at start, not at first use. */
  register<S, C>(factory: AdapterFactory<S, C>): this {
    const { channel, capabilities } = factory.manifest;
    if (!/^[a-z][a-z0-9_]{1,31}$/.test(channel)) throw new Error(`adapter channel name "${channel}" is not valid`);
    if (this.#factories.has(channel)) throw new Error(`adapter for "${channel}" is registered twice`);
    for (const cap of capabilities) {
      if (!(CAPABILITIES as readonly string[]).includes(cap)) throw new Error(`adapter "${channel}" declares unknown capability "${cap}"`);
    }
    this.#factories.set(channel, factory as unknown as AdapterFactory);
    return this;
  }

  get(channel: string): AdapterFactory | undefined {
    return this.#factories.get(channel);
  }

  channels(): string[] {
    return [...this.#factories.keys()].sort();
  }
}

/** The channels shipped with Switchyard. */
export function defaultRegistry(): AdapterRegistry {
  return new AdapterRegistry([amazonAdapter, magentoAdapter]);
}

/**
 * How an API2Cart `account.cart.add` body becomes a connection of a channel: its cart_id, and which of
 * the document's AccountCartAdd fields fill which settings and credentials. `values` translates a
 * field's values (API2Cart's AWS region names to SP-API regions); `defaults` fills settings the
 * document has no field for, keyed by a setting's value (an Amazon region's home marketplace).
 */
export interface Api2CartCart {
  cartId: string;
  cartName: string;
  channel: string;
  settings: Record<string, string>;
  credentials: Record<string, string>;
  fixedCredentials?: Record<string, string>;
  values?: Record<string, Record<string, string>>;
  defaults?: { by: string; settings: Record<string, Record<string, unknown>> };
}

export const API2CART_CARTS: Api2CartCart[] = [
  {
    cartId: 'Magento2Api',
    cartName: 'Magento 2 (REST API)',
    channel: 'magento',
    settings: { store_url: 'base_url' },
    credentials: {
      magento_consumer_key: 'consumer_key',
      magento_consumer_secret: 'consumer_secret',
      magento_access_token: 'access_token',
      magento_token_secret: 'access_token_secret',
    },
    fixedCredentials: { type: 'oauth1' },
  },
  {
    cartId: 'AmazonSP',
    cartName: 'Amazon SP-API',
    channel: 'amazon',
    settings: { amazon_seller_id: 'seller_id', amazon_sp_aws_region: 'region' },
    credentials: { amazon_sp_client_id: 'client_id', amazon_sp_client_secret: 'client_secret', amazon_sp_refresh_token: 'refresh_token' },
    values: { region: { 'us-east-1': 'na', 'eu-west-1': 'eu', 'us-west-2': 'fe' } },
    // AccountCartAdd has no marketplace field: the region's home marketplace (US, DE, JP); change it
    // afterwards with PATCH /v1/connections/{id}.
    defaults: { by: 'region', settings: { na: { marketplace_ids: ['ATVPDKIKX0DER'] }, eu: { marketplace_ids: ['A1PA6795UKMFR9'] }, fe: { marketplace_ids: ['A1VC38T7YXB528'] } } },
  },
];
