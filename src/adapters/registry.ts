// The channels shipped with Switchyard: the one place that names them. Adding a channel is one line
// here plus its folder under src/adapters/<channel>/. The registry's contract is the core's
// (src/core/registry.ts); it is re-exported here for callers that build a registry of their own.
import { AdapterRegistry } from '../core/registry.ts';
import { amazonApi2CartCart } from './amazon/api2cart.ts';
import { amazonAdapter } from './amazon/index.ts';
import type { Api2CartCart } from './kit/api2cart-cart.ts';
import { magentoApi2CartCart } from './magento/api2cart.ts';
import { magentoAdapter } from './magento/index.ts';

export { AdapterRegistry, type Api2CartCart };

/** The channels shipped with Switchyard. */
export function defaultRegistry(): AdapterRegistry {
  return new AdapterRegistry([magentoAdapter, amazonAdapter]);
}

/** How the API2Cart-compatible layer's `account.cart.add` fills each shipped channel's connection. */
export const API2CART_CARTS: Api2CartCart[] = [magentoApi2CartCart, amazonApi2CartCart];
