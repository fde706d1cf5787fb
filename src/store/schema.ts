// Kysely table types: the shape of every table the migrations create.
import type { ColumnType, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object | null> = JSONColumnType<T, string, string>;
/** numeric columns come back as strings, which is what Money wants. */
type Decimal = ColumnType<string, string, string>;

export interface TenantsTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface ConnectionsTable {
  id: string;
  tenant_id: string;
  channel: string;
  name: string;
  status: string;
  settings: Json<Record<string, unknown>>;
  credentials_enc: string | null;
  store_key: string;
  last_error: string | null;
  sync_intervals: ColumnType<Record<string, number>, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

interface Synced {
  id: string;
  tenant_id: string;
  connection_id: string;
  channel: string;
  external_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  synced_at: Timestamp;
  raw: Json<object> | null;
  deleted_at: Timestamp | null;
}

export interface ProductsTable extends Synced {
  sku: string | null;
  title: string;
  description: string | null;
  status: string;
  product_type: string | null;
  brand: string | null;
  options: Json<unknown[]>;
  identifiers: Json<Record<string, unknown>>;
  attributes: Json<Record<string, unknown>>;
  images: Json<unknown[]>;
  category_ids: Json<string[]>;
  prices: Json<unknown[]>;
}

export interface ProductVariantsTable {
  id: string;
  tenant_id: string;
  product_id: string;
  connection_id: string;
  external_id: string;
  sku: string;
  title: string | null;
  position: number;
  options: Json<Record<string, string>>;
  identifiers: Json<Record<string, unknown>>;
  prices: Json<unknown[]>;
  weight: Json<object> | null;
  attributes: Json<Record<string, unknown>>;
  updated_at: Timestamp;
}

export interface InventoryLevelsTable {
  id: string;
  tenant_id: string;
  connection_id: string;
  channel: string;
  external_id: string;
  sku: string;
  location_id: string;
  fulfillment_channel: string;
  on_hand: number;
  reserved: number;
  available: number;
  updated_at: Timestamp;
  synced_at: Timestamp;
  raw: Json<object> | null;
}

export interface OrdersTable extends Synced {
  order_number: string;
  marketplace_id: string | null;
  status: string;
  channel_status: string;
  fulfillment_channel: string;
  currency: string;
  subtotal: Decimal;
  shipping_total: Decimal;
  tax_total: Decimal;
  discount_total: Decimal;
  grand_total: Decimal;
  billing_address: Json<Record<string, unknown>> | null;
  shipping_address: Json<Record<string, unknown>> | null;
  customer_id: string | null;
  customer_external_id: string | null;
  customer_email: string | null;
  customer_name: string | null;
  placed_at: Timestamp | null;
}

export interface OrderLinesTable {
  id: string;
  tenant_id: string;
  order_id: string;
  connection_id: string;
  external_id: string;
  position: number;
  sku: string;
  title: string | null;
  quantity: number;
  quantity_shipped: number;
  quantity_canceled: number;
  currency: string;
  unit_price: Decimal;
  tax: Decimal;
  discount: Decimal;
  total: Decimal;
  product_id: string | null;
  variant_id: string | null;
}

export interface ShipmentsTable extends Synced {
  order_id: string;
  lines: Json<unknown[]>;
  carrier: string | null;
  service: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  shipped_at: Timestamp | null;
}

export interface CustomersTable extends Synced {
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  group: string | null;
  addresses: Json<unknown[]>;
}

export interface CategoriesTable extends Synced {
  name: string;
  parent_id: string | null;
  parent_external_id: string | null;
  path: Json<string[]>;
  position: number;
  is_active: boolean;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  connections: ConnectionsTable;
  products: ProductsTable;
  product_variants: ProductVariantsTable;
  inventory_levels: InventoryLevelsTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  shipments: ShipmentsTable;
  customers: CustomersTable;
  categories: CategoriesTable;
  sync_checkpoints: SyncCheckpointsTable;
  sync_staging: SyncStagingTable;
  operations: OperationsTable;
  dead_letters: DeadLettersTable;
  worker_heartbeats: WorkerHeartbeatsTable;
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_dispatch: WebhookDispatchTable;
  flow_profiles: FlowProfilesTable;
  flow_links: FlowLinksTable;
  flow_published: FlowPublishedTable;
  flow_order_imports: FlowOrderImportsTable;
  flow_shipment_confirmations: FlowShipmentConfirmationsTable;
  flow_cancellations: FlowCancellationsTable;
  flow_listings: FlowListingsTable;
  flow_exceptions: FlowExceptionsTable;
  notifications: NotificationsTable;
}


export interface SyncCheckpointsTable {
  tenant_id: string;
  connection_id: string;
  entity: string;
  watermark: Timestamp | null;
  run_id: string | null;
  run_from: Timestamp | null;
  run_to: Timestamp | null;
  run_full: boolean;
  run_cursor: string | null;
  run_started_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_error: string | null;
  last_error_at: Timestamp | null;
  failures: number;
  records_pulled: number;
  pages_pulled: number;
}

export interface SyncStagingTable {
  id: ColumnType<number, never, never>;
  tenant_id: string;
  connection_id: string;
  entity: string;
  run_id: string;
  external_id: string;
  upstream_updated_at: Timestamp | null;
  payload: Json<object>;
  outcome: string;
  received_at: Timestamp;
}

export interface OperationsTable {
  id: string;
  tenant_id: string;
  connection_id: string;
  kind: string;
  idempotency_key: string;
  request_hash: string;
  payload: Json<Record<string, unknown>>;
  state: string;
  attempts: number;
  last_error: string | null;
  last_error_kind: string | null;
  result: Json<Record<string, unknown>> | null;
  next_attempt_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface DeadLettersTable {
  id: string;
  tenant_id: string;
  connection_id: string;
  source: string;
  entity: string | null;
  external_id: string | null;
  operation_id: string | null;
  error_kind: string;
  reason: string;
  payload: Json<object> | null;
  state: string;
  replay_count: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WorkerHeartbeatsTable {
  worker_id: string;
  process_id: string;
  last_seen: Timestamp;
}

export interface EventsTable {
  id: string;
  seq: ColumnType<number, never, never>;
  /** xid8, read as text. */
  tx_id: ColumnType<string, never, never>;
  tenant_id: string;
  type: string;
  entity_type: string;
  entity_id: string;
  ordering_key: string;
  connection_id: string | null;
  channel: string | null;
  data: Json<Record<string, unknown>>;
  created_at: ColumnType<Date, never, never>;
}

export interface WebhookEndpointsTable {
  id: string;
  /** A numeric id, for the API2Cart-compatible layer (whose webhook ids are integers). */
  number: ColumnType<number, never, never>;
  tenant_id: string;
  url: string;
  description: string | null;
  event_types: string[];
  connection_ids: string[];
  channels: string[];
  secret_enc: string;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: Timestamp | null;
  consecutive_failures: number;
  last_success_at: Timestamp | null;
  last_failure_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  dseq: ColumnType<number, never, never>;
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  ordering_key: string;
  state: string;
  attempts: number;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_status: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  /** When the retry window of the current round of attempts opened (creation, or a redelivery). */
  window_start: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface WebhookDispatchTable {
  id: number;
  tx_id: string;
  seq: number;
  updated_at: Timestamp;
}

export interface NotificationsTable {
  tenant_id: string;
  connection_id: string;
  dedupe_key: string;
  targets: Json<{ entity: string; externalId: string }[]>;
  received_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

// ---- Flows (migration 0005) ----

export interface FlowProfilesTable {
  id: string;
  tenant_id: string;
  name: string;
  rules: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FlowLinksTable {
  id: string;
  tenant_id: string;
  name: string;
  flow: string;
  source_connection_id: string;
  targets: Json<{ connection_id: string; marketplace_ids: string[] }[]>;
  profile_id: string | null;
  options: Json<Record<string, unknown>>;
  interval_sec: number;
  status: string;
  last_run_at: Timestamp | null;
  last_error: string | null;
  runs: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FlowPublishedTable {
  link_id: string;
  target_connection_id: string;
  marketplace_id: string;
  sku: string;
  value: string;
  seq: number;
  operation_id: string | null;
  updated_at: Timestamp;
}

export interface FlowOrderImportsTable {
  link_id: string;
  tenant_id: string;
  source_order_id: string;
  target_connection_id: string;
  state: string;
  operation_id: string | null;
  target_external_id: string | null;
  stock_touched: boolean;
  line_map: Json<{ source_line_external_id: string; source_sku: string; target_sku: string }[]>;
  canceled_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FlowShipmentConfirmationsTable {
  link_id: string;
  shipment_id: string;
  target_connection_id: string;
  marketplace_order_id: string;
  state: string;
  operation_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FlowCancellationsTable {
  link_id: string;
  order_id: string;
  state: string;
  operation_id: string | null;
  created_at: Timestamp;
}

export interface FlowListingsTable {
  link_id: string;
  tenant_id: string;
  target_connection_id: string;
  marketplace_id: string;
  sku: string;
  product_id: string;
  content_hash: string;
  state: string;
  issues: Json<unknown[]>;
  operation_id: string | null;
  updated_at: Timestamp;
}

export interface FlowExceptionsTable {
  id: string;
  tenant_id: string;
  link_id: string | null;
  kind: string;
  subject: string;
  reason: string;
  details: Json<Record<string, unknown>>;
  state: string;
  resolution: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
