// Upstream push notifications (e.g. Amazon ORDER_CHANGE via SQS/EventBridge): each one is remembered by
// its dedupe key so a redelivery does nothing, with what it asked to fetch again.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE notifications (
      tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      dedupe_key text NOT NULL,
      targets jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (connection_id, dedupe_key)
    );
    CREATE INDEX notifications_received ON notifications (received_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE notifications`.execute(db);
}
