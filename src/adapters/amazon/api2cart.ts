// Amazon SP-API as an API2Cart cart: the AccountCartAdd fields that fill this adapter's settings and credentials.
import type { Api2CartCart } from '../kit/api2cart-cart.ts';

export const amazonApi2CartCart: Api2CartCart = {
  cartId: 'AmazonSP',
  cartName: 'Amazon SP-API',
  channel: 'amazon',
  settings: { amazon_seller_id: 'seller_id', amazon_sp_aws_region: 'region' },
  credentials: { amazon_sp_client_id: 'client_id', amazon_sp_client_secret: 'client_secret', amazon_sp_refresh_token: 'refresh_token' },
  values: { region: { 'us-east-1': 'na', 'eu-west-1': 'eu', 'us-west-2': 'fe' } },
  // AccountCartAdd has no marketplace field: the region's home marketplace (US, DE, JP); change it
  // afterwards with PATCH /v1/connections/{id}.
  defaults: { by: 'region', settings: { na: { marketplace_ids: ['ATVPDKIKX0DER'] }, eu: { marketplace_ids: ['A1PA6795UKMFR9'] }, fe: { marketplace_ids: ['A1VC38T7YXB528'] } } },
};
