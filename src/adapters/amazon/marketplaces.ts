// Amazon marketplaces: id, country, default currency and the SP-API region that serves them.
export type Region = 'na' | 'eu' | 'fe';

export interface MarketplaceInfo {
  country: string;
  currency: string;
  region: Region;
  /** The default language_tag of localized attribute values (item_name, color...). */
  language: string;
}

export const MARKETPLACES: Record<string, MarketplaceInfo> = {
  ATVPDKIKX0DER: { country: 'US', currency: 'USD', region: 'na', language: 'en_US' },
  A2EUQ1WTGCTBG2: { country: 'CA', currency: 'CAD', region: 'na', language: 'en_CA' },
  A1AM78C64UM0Y8: { country: 'MX', currency: 'MXN', region: 'na', language: 'es_MX' },
  A2Q3Y263D00KWC: { country: 'BR', currency: 'BRL', region: 'na', language: 'pt_BR' },
  A1PA6795UKMFR9: { country: 'DE', currency: 'EUR', region: 'eu', language: 'de_DE' },
  A13V1IB3VIYZZH: { country: 'FR', currency: 'EUR', region: 'eu', language: 'fr_FR' },
  APJ6JRA9NG5V4: { country: 'IT', currency: 'EUR', region: 'eu', language: 'it_IT' },
  A1RKKUPIHCS9HS: { country: 'ES', currency: 'EUR', region: 'eu', language: 'es_ES' },
  A1F83G8C2ARO7P: { country: 'GB', currency: 'GBP', region: 'eu', language: 'en_GB' },
  A1805IZSGTT6HS: { country: 'NL', currency: 'EUR', region: 'eu', language: 'nl_NL' },
  A2NODRKZP88ZB9: { country: 'SE', currency: 'SEK', region: 'eu', language: 'sv_SE' },
  A1C3SOZRARQ6R3: { country: 'PL', currency: 'PLN', region: 'eu', language: 'pl_PL' },
  AMEN7PMS3EDWL: { country: 'BE', currency: 'EUR', region: 'eu', language: 'fr_BE' },
  A33AVAJ2PDY3EV: { country: 'TR', currency: 'TRY', region: 'eu', language: 'tr_TR' },
  A2VIGQ35RCS4UG: { country: 'AE', currency: 'AED', region: 'eu', language: 'en_AE' },
  A17E79C6D8DWNP: { country: 'SA', currency: 'SAR', region: 'eu', language: 'ar_AE' },
  ARBP9OOSHTCHU: { country: 'EG', currency: 'EGP', region: 'eu', language: 'ar_EG' },
  A21TJRUUN4KGV: { country: 'IN', currency: 'INR', region: 'eu', language: 'en_IN' },
  A1VC38T7YXB528: { country: 'JP', currency: 'JPY', region: 'fe', language: 'ja_JP' },
  A39IBJ37TRP1C6: { country: 'AU', currency: 'AUD', region: 'fe', language: 'en_AU' },
  A19VAU5U5O7RUS: { country: 'SG', currency: 'SGD', region: 'fe', language: 'en_SG' },
};

/** SP-API and Login with Amazon hosts per region. */
export const REGION_HOSTS: Record<Region, { api: string; lwa: string }> = {
  na: { api: 'https://sellingpartnerapi-na.amazon.com', lwa: 'https://api.amazon.com/auth/o2/token' },
  eu: { api: 'https://sellingpartnerapi-eu.amazon.com', lwa: 'https://api.amazon.co.uk/auth/o2/token' },
  fe: { api: 'https://sellingpartnerapi-fe.amazon.com', lwa: 'https://api.amazon.co.jp/auth/o2/token' },
};

/** The fulfillment network code of FBA stock in a region (listings' fulfillment_availability). */
export const AFN_CHANNEL_CODE: Record<Region, string> = { na: 'AMAZON_NA', eu: 'AMAZON_EU', fe: 'AMAZON_FE' };
