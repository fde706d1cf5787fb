// What an adapter declares for the API2Cart-compatible layer: how that layer's connection form fills
// the adapter's settings and credentials.
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
