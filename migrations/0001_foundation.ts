// Tenancy, connections and the canonical synced entities. Every table carries tenant_id; every synced
// table keeps the raw upstream payload beside the record and is unique on (connection_id, external_id).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE tenants (
      id text PRIMARY KEY,
      name text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL
    );

    CREATE TABLE api_keys (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      name text NOT NULL,
      prefix text NOT NULL,
      hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz
    );
    CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

    CREATE TABLE connections (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      channel text NOT NULL,
      name text NOT NULL,
      status text NOT NULL,
      settings jsonb NOT NULL,
      credentials_enc text,
      store_key text NOT NULL UNIQUE,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      deleted_at timestamptz
    );
    CREATE INDEX connections_tenant ON connections (tenant_id, created_at, id);

    CREATE TABLE products (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      channel text NOT NULL,
      external_id text NOT NULL,
      sku text,
      title text NOT NULL,
      description text,
      status text NOT NULL,
      product_type text,
      brand text,
      variation_theme text,
      options jsonb NOT NULL,
      identifiers jsonb NOT NULL,
      attributes jsonb NOT NULL,
      images jsonb NOT NULL,
      category_ids jsonb NOT NULL,
      prices jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      synced_at timestamptz NOT NULL,
      raw jsonb,
      deleted_at timestamptz,
      UNIQUE (connection_id, external_id)
    );
    CREATE INDEX products_tenant_created ON products (tenant_id, created_at, id);
    CREATE INDEX products_tenant_updated ON products (tenant_id, updated_at, id);
    CREATE INDEX products_tenant_sku ON products (tenant_id, sku);

    CREATE TABLE product_variants (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      product_id text NOT NULL REFERENCES products(id) ON DELETE CASCADE,
      connection_id text NOT NULL,
      external_id text NOT NULL,
      sku text NOT NULL,
      title text,
      position integer NOT NULL,
      options jsonb NOT NULL,
      identifiers jsonb NOT NULL,
      prices jsonb NOT NULL,
      weight jsonb,
      attributes jsonb NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (product_id, external_id)
    );
    CREATE INDEX product_variants_sku ON product_variants (connection_id, sku);
    CREATE INDEX product_variants_tenant_sku ON product_variants (tenant_id, sku);

    CREATE TABLE inventory_levels (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      channel text NOT NULL,
      external_id text NOT NULL,
      sku text NOT NULL,
      location_id text NOT NULL,
      fulfillment_channel text NOT NULL,
      on_hand integer NOT NULL,
      reserved integer NOT NULL,
      available integer NOT NULL,
      updated_at timestamptz NOT NULL,
      synced_at timestamptz NOT NULL,
      raw jsonb,
      UNIQUE (connection_id, external_id)
    );
    CREATE INDEX inventory_tenant_sku ON inventory_levels (tenant_id, sku, id);
    CREATE INDEX inventory_tenant_id ON inventory_levels (tenant_id, id);

    CREATE TABLE orders (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      channel text NOT NULL,
      external_id text NOT NULL,
      order_number text NOT NULL,
      marketplace_id text,
      status text NOT NULL,
      channel_status text NOT NULL,
      fulfillment_channel text NOT NULL,
      currency text NOT NULL,
      subtotal numeric NOT NULL,
      shipping_total numeric NOT NULL,
      tax_total numeric NOT NULL,
      discount_total numeric NOT NULL,
      grand_total numeric NOT NULL,
      billing_address jsonb,
      shipping_address jsonb,
      customer_id text,
      customer_external_id text,
      customer_email text,
      customer_name text,
      placed_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      synced_at timestamptz NOT NULL,
      raw jsonb,
      deleted_at timestamptz,
      UNIQUE (connection_id, external_id)
    );
    CREATE INDEX orders_tenant_created ON orders (tenant_id, created_at, id);
    CREATE INDEX orders_tenant_updated ON orders (tenant_id, updated_at, id);
    CREATE INDEX orders_tenant_status ON orders (tenant_id, status, created_at, id);

    CREATE TABLE order_lines (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      order_id text NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
      connection_id text NOT NULL,
      external_id text NOT NULL,
      position integer NOT NULL,
      sku text NOT NULL,
      title text,
      quantity integer NOT NULL,
      quantity_shipped integer NOT NULL,
      quantity_canceled integer NOT NULL,
      currency text NOT NULL,
      unit_price numeric NOT NULL,
      tax numeric NOT NULL,
      discount numeric NOT NULL,
      total numeric NOT NULL,
      product_id text,
      variant_id text,
      UNIQUE (order_id, external_id)
    );
    CREATE INDEX order_lines_tenant_sku ON order_lines (tenant_id, sku);
    CREATE INDEX order_lines_unlinked ON order_lines (connection_id, sku) WHERE product_id IS NULL;

    CREATE TABLE shipments (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      channel text NOT NULL,
      external_id text NOT NULL,
      order_id text NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
      lines jsonb NOT NULL,
      carrier text,
      service text,
      tracking_number text,
      tracking_url text,
      shipped_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      synced_at timestamptz NOT NULL,
      raw jsonb,
      deleted_at timestamptz,
      UNIQUE (connection_id, external_id)
    );
    CREATE INDEX shipments_order ON shipments (order_id);
    CREATE INDEX shipments_tenant_created ON shipments (tenant_id, created_at, id);

    CREATE TABLE customers (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      channel text NOT NULL,
      external_id text NOT NULL,
      email text,
      first_name text,
      last_name text,
      phone text,
      "group" text,
      addresses jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      synced_at timestamptz NOT NULL,
      raw jsonb,
      deleted_at timestamptz,
      UNIQUE (connection_id, external_id)
    );
    CREATE INDEX customers_tenant_created ON customers (tenant_id, created_at, id);
    CREATE INDEX customers_tenant_email ON customers (tenant_id, lower(email));

    CREATE TABLE categories (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      channel text NOT NULL,
      external_id text NOT NULL,
      name text NOT NULL,
      parent_id text,
      parent_external_id text,
      path jsonb NOT NULL,
      position integer NOT NULL,
      is_active boolean NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      synced_at timestamptz NOT NULL,
      raw jsonb,
      deleted_at timestamptz,
      UNIQUE (connection_id, external_id)
    );
    CREATE INDEX categories_tenant_created ON categories (tenant_id, created_at, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE categories, customers, shipments, order_lines, orders, inventory_levels,
      product_variants, products, connections, api_keys, tenants;
  `.execute(db);
}
