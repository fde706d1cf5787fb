// Magento 2 as an API2Cart cart: the AccountCartAdd fields that fill this adapter's settings and credentials.
import type { Api2CartCart } from '../kit/api2cart-cart.ts';

export const magentoApi2CartCart: Api2CartCart = {
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
};
