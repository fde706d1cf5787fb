// The GraphQL schema (SDL). Object types mirror the canonical model in src/core/model field for field,
// with the same snake_case names as REST, plus resolved links between records (order -> lines ->
// product -> variants -> inventory, order -> shipments, order -> customer). Lists are Relay
// connections over the store's keyset cursors. Credentials and raw upstream payloads are not in it.

const PAGE_ARGS = `
    "Page size, 1 to 250."
    first: Int = 50
    "The endCursor (or an edge's cursor) of the previous page."
    after: String`;

const SORT_ARG = `
    sort: ListSort = created_at_desc`;

/** One Relay connection type and its edge type. */
function connection(node: string, name = `${node}Connection`): string {
  return `
type ${node}Edge {
  cursor: String!
  node: ${node}!
}

type ${name} {
  edges: [${node}Edge!]!
  nodes: [${node}!]!
  pageInfo: PageInfo!
}
`;
}

const SYNCED_FIELDS = `
  connection_id: ID!
  "The connection the record was synced from."
  connection: Connection
  "The adapter that owns the record (e.g. magento, amazon)."
  channel: String!
  "The record's id on the upstream platform."
  external_id: String!
  "Creation time on the upstream platform."
  created_at: DateTime!
  "Last change on the upstream platform."
  updated_at: DateTime!
  "When Switchyard last stored this record."
  synced_at: DateTime!`;

const SYNCED_FILTERS = `
  connection_id: ID
  channel: String
  "Upstream creation time, inclusive."
  created_from: DateTime
  "Upstream creation time, exclusive."
  created_to: DateTime
  "Upstream update time, inclusive."
  updated_from: DateTime
  "Upstream update time, exclusive."
  updated_to: DateTime`;

export const typeDefs = /* GraphQL */ `
"ISO 8601 date-time, UTC in responses. Filters also accept a date (YYYY-MM-DD)."
scalar DateTime

"Any JSON value: attribute bags, option maps, channel settings."
scalar JSON

type Query {
  "Orders of every connection, with their lines."
  orders(${PAGE_ARGS}
    filter: OrderFilter${SORT_ARG}
  ): OrderConnection!
  "One order; null (with a NOT_FOUND error) when this tenant has no such order."
  order(id: ID!): Order

  "Products with their variants."
  products(${PAGE_ARGS}
    filter: ProductFilter${SORT_ARG}
  ): ProductConnection!
  product(id: ID!): Product

  customers(${PAGE_ARGS}
    filter: CustomerFilter${SORT_ARG}
  ): CustomerConnection!
  customer(id: ID!): Customer

  shipments(${PAGE_ARGS}
    filter: ShipmentFilter${SORT_ARG}
  ): ShipmentConnection!
  shipment(id: ID!): Shipment

  "Stock levels per connection, SKU and location, in id order."
  inventory(${PAGE_ARGS}
    filter: InventoryFilter
  ): InventoryLevelConnection!

  categories(${PAGE_ARGS}
    filter: CategoryFilter${SORT_ARG}
  ): CategoryConnection!
  category(id: ID!): Category

  "The merchant's connections (Magento stores, Amazon seller accounts). Credentials are never returned."
  connections(${PAGE_ARGS}
    filter: ConnectionFilter${SORT_ARG}
  ): ConnectionConnection!
  connection(id: ID!): Connection

  "The event log, oldest first (the same events as GET /v1/events and webhooks)."
  events(${PAGE_ARGS}
    "Event types or patterns such as order.*"
    type: [String!]
    connection_id: ID
    entity_id: ID
  ): EventConnection!
}

"Something that changed: the entity as it is now (data.object) and, for updates, the previous values of what changed (data.previous)."
type Event {
  id: ID!
  type: String!
  entity_type: String!
  entity_id: ID!
  connection_id: ID
  connection: Connection
  channel: String
  data: JSON!
  created_at: DateTime!
}
${connection('Event')}

type PageInfo {
  hasNextPage: Boolean!
  "Cursor of the last edge of this page; pass it as after to get the next page."
  endCursor: String
}

enum ListSort {
  created_at_asc
  created_at_desc
  updated_at_asc
  updated_at_desc
}

enum OrderStatus {
  pending
  processing
  partially_shipped
  shipped
  delivered
  canceled
  refunded
  on_hold
}

"merchant: the seller ships (Magento, Amazon MFN); marketplace: the marketplace ships (Amazon FBA)."
enum FulfillmentChannel {
  merchant
  marketplace
}

enum ProductStatus {
  active
  inactive
  draft
  archived
}

"needs_reauth: the upstream refused the credentials; jobs pause until they are replaced."
enum ConnectionStatus {
  active
  paused
  needs_reauth
  disabled
}

enum WeightUnit {
  kg
  g
  lb
  oz
}

input OrderFilter {${SYNCED_FILTERS}
  status: OrderStatus
  fulfillment_channel: FulfillmentChannel
  "Orders with a line of this SKU."
  sku: String
  customer_id: ID
}

input ProductFilter {${SYNCED_FILTERS}
  "Products whose own or a variant's SKU is this."
  sku: String
  status: ProductStatus
}

input CustomerFilter {${SYNCED_FILTERS}
  "Case-insensitive."
  email: String
}

input ShipmentFilter {${SYNCED_FILTERS}
  order_id: ID
}

input CategoryFilter {${SYNCED_FILTERS}
  parent_id: ID
}

input InventoryFilter {
  connection_id: ID
  channel: String
  sku: String
  location_id: String
  fulfillment_channel: FulfillmentChannel
  "Levels changed at or after this time."
  updated_from: DateTime
}

input ConnectionFilter {
  channel: String
  status: ConnectionStatus
}

"An amount of money: a decimal string (never a float) and an ISO 4217 currency."
type Money {
  amount: String!
  currency: String!
}

type Address {
  name: String
  company: String
  line1: String
  line2: String
  line3: String
  city: String
  region: String
  postal_code: String
  "ISO 3166-1 alpha-2"
  country: String
  phone: String
  email: String
}

type Identifiers {
  sku: String
  gtin: String
  ean: String
  upc: String
  isbn: String
  asin: String
  mpn: String
}

type OrderTotals {
  subtotal: Money!
  shipping: Money!
  tax: Money!
  discount: Money!
  total: Money!
}

"The buyer as the order names them."
type CustomerRef {
  customer_id: ID
  email: String
  name: String
  "The stored customer record, when the buyer matches a customer of the same connection; null for guests."
  record: Customer
}

type Order {
  id: ID!${SYNCED_FIELDS}
  order_number: String!
  marketplace_id: String
  status: OrderStatus!
  "The platform's own status value."
  channel_status: String!
  fulfillment_channel: FulfillmentChannel!
  currency: String!
  totals: OrderTotals!
  billing_address: Address
  shipping_address: Address
  customer: CustomerRef!
  lines: [OrderLine!]!
  "Shipments of this order, oldest first."
  shipments: [Shipment!]!
  placed_at: DateTime
}

type OrderLine {
  id: ID!
  external_id: String!
  sku: String!
  title: String
  quantity: Int!
  quantity_shipped: Int!
  quantity_canceled: Int!
  unit_price: Money!
  tax: Money!
  discount: Money!
  total: Money!
  "The matching product of the same connection, when known."
  product_id: ID
  variant_id: ID
  product: Product
  variant: Variant
}

type Price {
  "Connection the price applies to; null for the source price."
  connection_id: ID
  marketplace_id: String
  price: Money!
  sale_price: Money
}

type Image {
  url: String!
  position: Int!
  alt: String
  roles: [String!]!
}

"A variation axis such as size or color, with its values."
type ProductOption {
  name: String!
  values: [String!]!
}

type Weight {
  value: String!
  unit: WeightUnit!
}

type Product {
  id: ID!${SYNCED_FIELDS}
  title: String!
  description: String
  status: ProductStatus!
  product_type: String
  brand: String
  options: [ProductOption!]!
  identifiers: Identifiers!
  "Attribute code to value: scalars or lists of scalars."
  attributes: JSON!
  images: [Image!]!
  category_ids: [String!]!
  prices: [Price!]!
  "A simple product has exactly one variant."
  variants: [Variant!]!
}

type Variant {
  id: ID!
  product_id: ID!
  product: Product
  external_id: String!
  sku: String!
  title: String
  position: Int!
  "Option name to value, e.g. {\\"size\\": \\"M\\"}."
  options: JSON!
  identifiers: Identifiers!
  prices: [Price!]!
  weight: Weight
  attributes: JSON!
  updated_at: DateTime!
  "Stock levels of this SKU: on the variant's own connection, or on every connection with all_connections: true."
  inventory(all_connections: Boolean = false): [InventoryLevel!]!
}

type InventoryLevel {
  id: ID!
  connection_id: ID!
  connection: Connection
  channel: String!
  sku: String!
  "Upstream location: a Magento source code, an Amazon fulfillment network, or \\"default\\"."
  location_id: String!
  fulfillment_channel: FulfillmentChannel!
  on_hand: Int!
  reserved: Int!
  available: Int!
  updated_at: DateTime!
  synced_at: DateTime!
}

type ShipmentLine {
  order_line_id: ID
  external_line_id: String
  sku: String!
  quantity: Int!
}

type Shipment {
  id: ID!${SYNCED_FIELDS}
  order_id: ID!
  order: Order
  lines: [ShipmentLine!]!
  carrier: String
  service: String
  tracking_number: String
  tracking_url: String
  shipped_at: DateTime
}

type Customer {
  id: ID!${SYNCED_FIELDS}
  email: String
  first_name: String
  last_name: String
  phone: String
  group: String
  addresses: [Address!]!
}

type Category {
  id: ID!${SYNCED_FIELDS}
  name: String!
  parent_id: ID
  parent_external_id: String
  parent: Category
  "Names from the root down to this category."
  path: [String!]!
  position: Int!
  is_active: Boolean!
}

type Connection {
  id: ID!
  channel: String!
  name: String!
  status: ConnectionStatus!
  "Channel-specific settings (never credentials)."
  settings: JSON!
  "Key that identifies this connection to the API2Cart-compatible layer."
  store_key: String!
  has_credentials: Boolean!
  last_error: String
  created_at: DateTime!
  updated_at: DateTime!
}
${connection('Order')}${connection('Product')}${connection('Customer')}${connection('Shipment')}${connection('InventoryLevel')}${connection('Category')}${connection('Connection')}`;
