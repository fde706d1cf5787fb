// The event log and webhooks: events written in the transaction of the change they describe, webhook
// endpoints (subscriptions), one delivery row per (endpoint, event), and the dispatcher's cursor.
//
// An event's position is (tx_id, seq): the id of the transaction that wrote it, then a sequence. Readers
// only serve events whose transaction is older than every transaction of the database still running
// (src/store/events.ts `settled`), so a cursor never skips an event that commits late.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE events (
      id text PRIMARY KEY,
      seq bigserial NOT NULL,
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      type text NOT NULL,
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      ordering_key text NOT NULL,
      connection_id text,
      channel text,
      data jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE UNIQUE INDEX events_position ON events (tx_id, seq);
    CREATE INDEX events_tenant_position ON events (tenant_id, tx_id, seq);
    CREATE INDEX events_tenant_entity ON events (tenant_id, entity_id, tx_id, seq);

    CREATE TABLE webhook_endpoints (
      id text PRIMARY KEY,
      number bigserial NOT NULL UNIQUE,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      url text NOT NULL,
      description text,
      event_types text[] NOT NULL,
      connection_ids text[] NOT NULL DEFAULT '{}',
      channels text[] NOT NULL DEFAULT '{}',
      secret_enc text NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      disabled_reason text,
      failing_since timestamptz,
      consecutive_failures integer NOT NULL DEFAULT 0,
      last_success_at timestamptz,
      last_failure_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at, id);

    CREATE TABLE webhook_deliveries (
      id text PRIMARY KEY,
      dseq bigserial NOT NULL,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      endpoint_id text NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
      event_id text NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      ordering_key text NOT NULL,
      state text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      last_attempt_at timestamptz,
      last_status integer,
      last_error text,
      last_duration_ms integer,
      window_start timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      delivered_at timestamptz,
      UNIQUE (endpoint_id, event_id)
    );
    CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, ordering_key, dseq) WHERE state = 'pending';
    CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, dseq) WHERE state = 'pending';
    CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
    CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (tenant_id, updated_at, id) WHERE state = 'failed';

    CREATE TABLE webhook_dispatch (
      id integer PRIMARY KEY,
      tx_id xid8 NOT NULL,
      seq bigint NOT NULL,
      updated_at timestamptz NOT NULL
    );
    INSERT INTO webhook_dispatch (id, tx_id, seq, updated_at) VALUES (1, '0', 0, now());
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE webhook_dispatch, webhook_deliveries, webhook_endpoints, events`.execute(db);
}
