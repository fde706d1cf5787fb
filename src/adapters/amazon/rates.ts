// The documented SP-API usage plans (rate per second, burst) of every operation the adapter calls, from
// the models' "Usage Plan" tables. They seed the throttle; x-amzn-RateLimit-Limit adjusts the rate.
import type { RateSpec } from '../../core/ports.ts';

export const OPERATION_RATES = {
  // Orders 2026-01-01 and v0 shipment confirmation
  searchOrders: { ratePerSec: 0.0056, burst: 20 },
  getOrder: { ratePerSec: 0.5, burst: 30 },
  confirmShipment: { ratePerSec: 2, burst: 10 },
  // Listings Items 2021-08-01
  getListingsItem: { ratePerSec: 5, burst: 10 },
  searchListingsItems: { ratePerSec: 5, burst: 5 },
  patchListingsItem: { ratePerSec: 5, burst: 5 },
  putListingsItem: { ratePerSec: 5, burst: 10 },
  // Feeds 2021-06-30
  createFeedDocument: { ratePerSec: 0.5, burst: 15 },
  createFeed: { ratePerSec: 0.0083, burst: 15 },
  getFeed: { ratePerSec: 2, burst: 15 },
  getFeedDocument: { ratePerSec: 0.0222, burst: 10 },
  // Product Type Definitions 2020-09-01
  getDefinitionsProductType: { ratePerSec: 5, burst: 10 },
  searchDefinitionsProductTypes: { ratePerSec: 5, burst: 10 },
  // FBA inventory v1, Catalog Items 2022-04-01, Sellers v1
  getInventorySummaries: { ratePerSec: 2, burst: 2 },
  searchCatalogItems: { ratePerSec: 2, burst: 2 },
  getMarketplaceParticipations: { ratePerSec: 0.016, burst: 15 },
  // Notifications v1 (grantless for destinations and subscription-by-id)
  getDestinations: { ratePerSec: 1, burst: 5 },
  createDestination: { ratePerSec: 1, burst: 5 },
  getSubscription: { ratePerSec: 1, burst: 5 },
  createSubscription: { ratePerSec: 1, burst: 5 },
  deleteSubscriptionById: { ratePerSec: 1, burst: 5 },
} as const satisfies Record<string, RateSpec>;

export type SpOperation = keyof typeof OPERATION_RATES;

/**
 * Not SP-API operations, but calls the adapter makes: the LWA token exchange and the presigned document
 * transfers of feeds and product type schemas. They get a generous bucket of their own.
 */
export const SIDE_CALL_RATE: RateSpec = { ratePerSec: 10, burst: 20 };
export type SideCall = 'lwaToken' | 'uploadFeedDocument' | 'downloadDocument';
