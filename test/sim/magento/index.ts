// The Magento simulator's public surface (see README.md).
export { startMagentoSim, DEFAULT_STORES, ADMIN_TOKEN_TTL_MS, OAUTH_TIME_DEVIATION_S, UNAUTHORIZED, type MagentoSim, type MagentoSimOptions, type RequestLog } from './server.ts';
export { MagentoState, type Product, type Order, type OrderItem, type Shipment, type Invoice, type Customer, type SourceItem, type Reservation, type StoreSpec, type SeedOptions } from './state.ts';
export { MagentoFaults } from './faults.ts';
export { oauthHeader, strnatcmp, signatureBaseString, type OAuthCredentials } from './oauth.ts';
export { loadMagentoSchema } from './schema.ts';
