// Public entry of the Amazon SP-API simulator (see README.md next to this file).
export { startAmazonSim, type AmazonSim, type AmazonSimOptions, type AmazonSimFaults, type SimRequestRecord } from './server.ts';
export {
  AmazonState,
  MARKETPLACES,
  LEGACY_STATUS,
  ean13,
  asinFor,
  type SimOrder,
  type SimOrderItem,
  type SimListing,
  type SimInventory,
  type SimFeed,
  type SimFeedDocument,
  type SimPackage,
  type SimAddress,
  type FulfillmentStatus,
  type Confirmation,
  type ListingWrite,
  type OrderChangeNotification,
  type PlaceOrderInput,
  type SeedOptions,
} from './state.ts';
export { spModels, SpModels, MODEL_FILES, SERVED, type OperationSpec, type SandboxCase } from './models.ts';
export { PRODUCT_TYPES, ptdSchema, ptdDocument, validateAttributes, type ListingIssue, type ProductTypeName, type Requirements } from './ptd.ts';
