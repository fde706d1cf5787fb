// Amazon marketplaces: id, country, default currency and the SP-API region that serves them.
export type Region = 'na' | 'eu' | 'fe';

export interface MarketplaceInfo {
  country: string;
  currency: string;
  region: Region;
}

export const MARKETPLACES: Record<string, MarketplaceInfo> = {
  ATVPDKIKX0DER: { country: 'US', currency: 'USD', region: 'na' },
  A2EUQ1WTGCTBG2: { country: 'CA', currency: 'CAD', region: 'na' },
  A1AM78C64UM0Y8: { country: 'MX', currency: 'MXN', region: 'na' },
  A2Q3Y263D00KWC: { country: 'BR', currency: 'BRL', region: 'na' },
  A1PA6795UKMFR9: { country: 'DE', currency: 'EUR', region: 'eu' },
  A13V1IB3VIYZZH: { country: 'FR', currency: 'EUR', region: 'eu' },
  APJ6JRA9NG5V4: { country: 'IT', currency: 'EUR', region: 'eu' },
  A1RKKUPIHCS9HS: { country: 'ES', currency: 'EUR', region: 'eu' },
  A1F83G8C2ARO7P: { country: 'GB', currency: 'GBP', region: 'eu' },
  A1805IZSGTT6HS: { country: 'NL', currency: 'EUR', region: 'eu' },
  A2NODRKZP88ZB9: { country: 'SE', currency: 'SEK', region: 'eu' },
  A1C3SOZRARQ6R3: { country: 'PL', currency: 'PLN', region: 'eu' },
  AMEN7PMS3EDWL: { country: 'BE', currency: 'EUR', region: 'eu' },
  A33AVAJ2PDY3EV: { country: 'TR', currency: 'TRY', region: 'eu' },
  A2VIGQ35RCS4UG: { country: 'AE', currency: 'AED', region: 'eu' },
  A17E79C6D8DWNP: { country: 'SA', currency: 'SAR', region: 'eu' },
  ARBP9OOSHTCHU: { country: 'EG', currency: 'EGP', region: 'eu' },
  A21TJRUUN4KGV: { country: 'IN', currency: 'INR', region: 'eu' },
  A1VC38T7YXB528: { country: 'JP', currency: 'JPY', region: 'fe' },
  A39IBJ37TRP1C6: { country: 'AU', currency: 'AUD', region: 'fe' },
  A19VAU5U5O7RUS: { country: 'SG', currency: 'SGD', region: 'fe' },
};

/** SP-API and Login with Amazon hosts per region. */
export const REGION_HOSTS: Record<Region, { api: string; lwa: string }> = {
  na: { api: 'https://sellingpartnerapi-na.amazon.com', lwa: 'https://api.amazon.com/auth/o2/token' },
  eu: { api: 'https://sellingpartnerapi-eu.amazon.com', lwa: 'https://api.amazon.co.uk/auth/o2/token' },
  fe: { api: 'https://sellingpartnerapi-fe.amazon.com', lwa: 'https://api.amazon.co.jp/auth/o2/token' },
};

/** The fulfillment network code of FBA stock in a region (listings' fulfillment_availability). */
export const AFN_CHANNEL_CODE: Record<Region, string> = { na: 'AMAZON_NA', eu: 'AMAZON_EU', fe: 'AMAZON_FE' };
