// The sync engine's state: pull checkpoints, the staging area for raw upstream payloads, outbound
// operations with their idempotency keys, dead letters, and worker liveness.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE connections ADD COLUMN sync_intervals jsonb NOT NULL DEFAULT '{}';

    CREATE TABLE sync_checkpoints (
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      entity text NOT NULL,
      watermark timestamptz,
      run_id text,
      run_from timestamptz,
      run_to timestamptz,
      run_full boolean NOT NULL DEFAULT false,
      run_cursor text,
      run_started_at timestamptz,
      last_success_at timestamptz,
      last_attempt_at timestamptz,
      last_error text,
      last_error_at timestamptz,
      failures integer NOT NULL DEFAULT 0,
      records_pulled bigint NOT NULL DEFAULT 0,
      pages_pulled bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (connection_id, entity)
    );
    CREATE INDEX sync_checkpoints_tenant ON sync_checkpoints (tenant_id);

    CREATE TABLE sync_staging (
      id bigserial PRIMARY KEY,
      tenant_id text NOT NULL,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      entity text NOT NULL,
      run_id text NOT NULL,
      external_id text NOT NULL,
      upstream_updated_at timestamptz,
      payload jsonb NOT NULL,
      outcome text NOT NULL,
      received_at timestamptz NOT NULL
    );
    CREATE INDEX sync_staging_run ON sync_staging (run_id, external_id);
    CREATE INDEX sync_staging_received ON sync_staging (received_at);

    CREATE TABLE operations (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      kind text NOT NULL,
      idempotency_key text NOT NULL,
      request_hash text NOT NULL,
      payload jsonb NOT NULL,
      state text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      last_error_kind text,
      result jsonb,
      next_attempt_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      completed_at timestamptz,
      UNIQUE (tenant_id, idempotency_key)
    );
    CREATE INDEX operations_connection_state ON operations (connection_id, state, created_at);
    CREATE INDEX operations_tenant_created ON operations (tenant_id, created_at, id);

    CREATE TABLE dead_letters (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      source text NOT NULL,
      entity text,
      external_id text,
      operation_id text REFERENCES operations(id) ON DELETE CASCADE,
      error_kind text NOT NULL,
      reason text NOT NULL,
      payload jsonb,
      state text NOT NULL,
      replay_count integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX dead_letters_tenant ON dead_letters (tenant_id, created_at, id);
    CREATE INDEX dead_letters_connection ON dead_letters (connection_id, state);
    CREATE UNIQUE INDEX dead_letters_open_record ON dead_letters (connection_id, entity, external_id) WHERE source = 'pull' AND state = 'open';

    CREATE TABLE worker_heartbeats (
      worker_id text PRIMARY KEY,
      process_id text NOT NULL,
      last_seen timestamptz NOT NULL
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE worker_heartbeats, dead_letters, operations, sync_staging, sync_checkpoints;
    ALTER TABLE connections DROP COLUMN sync_intervals;
  `.execute(db);
}
