// The Shopify simulator's public surface (see README.md).
export { startShopifySim, ShopifyFaults, DEFAULT_SCOPES, UNAUTHORIZED_BODY, type ShopifySim, type ShopifySimOptions, type ShopifyApp, type RequestLog, type WebhookDelivery } from './server.ts';
export { ShopifyState, gid, parseGid, money, cents, type SeedOptions } from './state.ts';
export { LeakyBucket, ShopifyEngine, type GraphQLAnswer } from './execute.ts';
export { requestedCost, MAX_PAGE_SIZE, MAX_SINGLE_QUERY_COST } from './cost.ts';
export { adminSchema, API_VERSION, REFERENCE_FILE } from './schema.ts';
