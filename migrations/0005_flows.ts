// Cross-channel flows: mapping profiles, links (which flow runs from which connection to which), the
// state each flow keeps so it acts once (published quantities, imported orders, confirmed shipments,
// published listings), and the exception list a merchant works through.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE flow_profiles (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      name text NOT NULL,
      rules jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX flow_profiles_tenant ON flow_profiles (tenant_id, created_at, id);

    CREATE TABLE flow_links (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      name text NOT NULL,
      flow text NOT NULL,
      source_connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      targets jsonb NOT NULL,
      profile_id text REFERENCES flow_profiles(id) ON DELETE RESTRICT,
      options jsonb NOT NULL DEFAULT '{}',
      interval_sec integer NOT NULL,
      status text NOT NULL,
      last_run_at timestamptz,
      last_error text,
      runs bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX flow_links_tenant ON flow_links (tenant_id, created_at, id);
    CREATE INDEX flow_links_source ON flow_links (source_connection_id);

    -- Inventory and price sync: what was last sent per (link, target, marketplace, sku), so a burst of
    -- changes ends in one write with the last value, and an unchanged value is never written again.
    CREATE TABLE flow_published (
      link_id text NOT NULL REFERENCES flow_links(id) ON DELETE CASCADE,
      target_connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      marketplace_id text NOT NULL DEFAULT '',
      sku text NOT NULL,
      value text NOT NULL,
      seq integer NOT NULL DEFAULT 1,
      operation_id text,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (link_id, target_connection_id, marketplace_id, sku)
    );

    -- Order import: exactly one target order per marketplace order and link.
    CREATE TABLE flow_order_imports (
      link_id text NOT NULL REFERENCES flow_links(id) ON DELETE CASCADE,
      tenant_id text NOT NULL,
      source_order_id text NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
      target_connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      state text NOT NULL,
      operation_id text,
      target_external_id text,
      stock_touched boolean NOT NULL DEFAULT true,
      line_map jsonb NOT NULL DEFAULT '[]',
      canceled_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (link_id, source_order_id)
    );
    CREATE INDEX flow_order_imports_target ON flow_order_imports (target_connection_id, target_external_id);
    CREATE INDEX flow_order_imports_op ON flow_order_imports (operation_id);

    -- Fulfillment confirmation: each store shipment confirmed once per link.
    CREATE TABLE flow_shipment_confirmations (
      link_id text NOT NULL REFERENCES flow_links(id) ON DELETE CASCADE,
      shipment_id text NOT NULL REFERENCES shipments(id) ON DELETE CASCADE,
      target_connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      marketplace_order_id text NOT NULL,
      state text NOT NULL,
      operation_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (link_id, shipment_id)
    );
    CREATE INDEX flow_shipment_confirmations_op ON flow_shipment_confirmations (operation_id);

    -- Cancellations: each canceled order handled once per link (either direction).
    CREATE TABLE flow_cancellations (
      link_id text NOT NULL REFERENCES flow_links(id) ON DELETE CASCADE,
      order_id text NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
      state text NOT NULL,
      operation_id text,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (link_id, order_id)
    );

    -- Catalog publish: per (link, target, marketplace, sku) what was sent and what the target said.
    CREATE TABLE flow_listings (
      link_id text NOT NULL REFERENCES flow_links(id) ON DELETE CASCADE,
      tenant_id text NOT NULL,
      target_connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      marketplace_id text NOT NULL DEFAULT '',
      sku text NOT NULL,
      product_id text NOT NULL REFERENCES products(id) ON DELETE CASCADE,
      content_hash text NOT NULL,
      state text NOT NULL,
      issues jsonb NOT NULL DEFAULT '[]',
      operation_id text,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (link_id, target_connection_id, marketplace_id, sku)
    );
    CREATE INDEX flow_listings_product ON flow_listings (product_id);
    CREATE INDEX flow_listings_op ON flow_listings (operation_id);

    CREATE TABLE flow_exceptions (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      link_id text REFERENCES flow_links(id) ON DELETE CASCADE,
      kind text NOT NULL,
      subject text NOT NULL,
      reason text NOT NULL,
      details jsonb NOT NULL DEFAULT '{}',
      state text NOT NULL,
      resolution text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX flow_exceptions_tenant ON flow_exceptions (tenant_id, created_at, id);
    CREATE UNIQUE INDEX flow_exceptions_open ON flow_exceptions (link_id, kind, subject) WHERE state = 'open';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE flow_exceptions, flow_listings, flow_cancellations, flow_shipment_confirmations, flow_order_imports, flow_published, flow_links, flow_profiles`.execute(db);
}
