// Webhook delivery on the job engine.
//
// Fan-out: a dispatcher loop (one at a time across processes, by a row lock) reads the event log after
// its cursor, makes one delivery row per matching endpoint and queues that endpoint's drain job, then
// moves its cursor, all in one transaction: an event is fanned out exactly once, and a crash loses none.
//
// Delivery: one drain job per endpoint (its own job queue, so one runs at a time per endpoint) attempts
// the due deliveries at the head of each ordering key (an entity's later event waits until the earlier
// one succeeded or was given up), in parallel across keys, and records the outcomes. A failed attempt is
// retried with exponential backoff and jitter until the retry window (3 days) closes; an endpoint that
// keeps failing without a single success for `disableAfterMs` (5 days) is disabled, with a
// webhook.disabled event. Each endpoint has its own job, so a slow one holds only its own worker slot.
import http from 'node:http';
import https from 'node:https';
import type { Task } from 'graphile-worker';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import { settled, writeEvents } from '../../store/events.ts';
import { enqueueJob } from '../../store/jobs.ts';
import { dueHeads, nextDue, type DueDelivery, type EndpointRow } from '../../store/webhooks.ts';
import { newId } from '../ids.ts';
import { matchesEventType } from '../model/index.ts';
import { assertUpstreamUrl } from '../net.ts';
import type { SecretBox } from '../ports.ts';
import { backoffMs, errorMessage } from '../sync/retry.ts';
import { sign } from './signature.ts';

export interface WebhookSettings {
  /** An attempt with no answer by then counts as failed. */
  timeoutMs: number;
  /** A delivery is retried until this long after it was made (or redelivered), then given up. */
  retryWindowMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** An endpoint failing every attempt for this long is disabled. */
  disableAfterMs: number;
  /** How often the dispatcher looks for new events when it found none. */
  dispatchIntervalMs: number;
  /** Attempts made at once per endpoint (across different ordering keys). */
  parallelPerEndpoint: number;
  /** How long one drain job keeps going before it hands over to a new job. */
  drainBudgetMs: number;
  allowPrivate: boolean;
  /** Events, and deliveries no longer pending, are deleted this long after they were made. */
  retentionMs: number;
  random?: () => number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  timeoutMs: 10_000,
  retryWindowMs: 3 * 24 * 3600_000,
  backoffBaseMs: 5_000,
  backoffCapMs: 6 * 3600_000,
  disableAfterMs: 5 * 24 * 3600_000,
  dispatchIntervalMs: 100,
  parallelPerEndpoint: 16,
  drainBudgetMs: 3_000,
  allowPrivate: false,
  retentionMs: 30 * 24 * 3600_000,
};

export const DELIVER_TASK = 'webhook.deliver';
export const MAINTENANCE_TASK = 'webhook.maintenance';

export interface WebhookWorkerOptions {
  db: Db;
  box: SecretBox;
  log: Logger;
  settings?: Partial<WebhookSettings>;
}

interface Outcome {
  ok: boolean;
  status: number | null;
  error: string | null;
  ms: number;
}

/** Queues (or brings forward) the drain job of an endpoint. */
export async function queueDrain(db: Db, endpointId: string, runAt: Date = new Date(), keyMode: 'replace' | 'preserve_run_at' = 'replace'): Promise<void> {
  const key = `webhook:${endpointId}`;
  await enqueueJob(db, DELIVER_TASK, { endpoint_id: endpointId }, { queue: key, key, keyMode, runAt, maxAttempts: 25 });
}

/** The body sent for an event: Standard Webhooks' {type, timestamp, data}, with the event id. */
export function webhookBody(e: { id: string; type: string; entity_type: string; entity_id: string; connection_id: string | null; channel: string | null; data: Record<string, unknown>; created_at: Date }): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    timestamp: e.created_at.toISOString(),
    data: { entity_type: e.entity_type, entity_id: e.entity_id, connection_id: e.connection_id, channel: e.channel, ...e.data },
  });
}

export class WebhookWorker {
  readonly settings: WebhookSettings;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #agents = { http: new http.Agent({ keepAlive: true, maxSockets: 256 }), https: new https.Agent({ keepAlive: true, maxSockets: 256 }) };

  constructor(private readonly o: WebhookWorkerOptions) {
    this.settings = { ...DEFAULT_WEBHOOK_SETTINGS, ...o.settings };
  }

  tasks(): Record<string, Task> {
    return {
      [DELIVER_TASK]: async (payload) => {
        const { endpoint_id } = payload as { endpoint_id: string };
        await this.drain(endpoint_id);
      },
      [MAINTENANCE_TASK]: async () => {
        await this.maintenance();
      },
    };
  }

  /**
   * Every minute: every enabled endpoint with pending deliveries has a drain queued (a drain job that
   * failed for good, e.g. through a database outage, is replaced), and old events and settled
   * deliveries are deleted.
   */
  async maintenance(): Promise<void> {
    const { rows } = await sql<{ endpoint_id: string }>`
      SELECT DISTINCT d.endpoint_id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
      WHERE d.state = 'pending' AND w.enabled`.execute(this.o.db);
    for (const r of rows) {
      const next = await nextDue(this.o.db, r.endpoint_id);
      if (next) await queueDrain(this.o.db, r.endpoint_id, next, 'preserve_run_at');
    }
    const cutoff = new Date(Date.now() - this.settings.retentionMs);
    await this.o.db.deleteFrom('webhook_deliveries').where('state', '!=', 'pending').where('updated_at', '<', cutoff).execute();
    await this.o.db.deleteFrom('events').where('created_at', '<', cutoff).where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries').select('id').whereRef('webhook_deliveries.event_id', '=', 'events.id')))).execute();
  }

  /** Starts the dispatcher loop in this process. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = (async () => {
      while (!this.#stopped) {
        let n = 0;
        try {
          n = await this.dispatchOnce();
        } catch (err) {
          if (!this.#stopped) this.o.log.warn({ err: errorMessage(err) }, 'webhook dispatch failed');
        }
        if (n < DISPATCH_BATCH && !this.#stopped) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, this.settings.dispatchIntervalMs);
            this.#wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /** Fans the next settled events out to deliveries; returns how many events it moved past. */
  async dispatchOnce(): Promise<number> {
    return this.o.db.transaction().execute(async (trx) => {
      const { rows: cursorRows } = await sql<{ tx_id: string; seq: number }>`SELECT tx_id::text AS tx_id, seq FROM webhook_dispatch WHERE id = 1 FOR UPDATE SKIP LOCKED`.execute(trx);
      const cursor = cursorRows[0];
      if (!cursor) return 0; // another process is dispatching
      const { rows: events } = await sql<{ id: string; tenant_id: string; type: string; ordering_key: string; connection_id: string | null; channel: string | null; created_at: Date; tx_id: string; seq: number }>`
        SELECT id, tenant_id, type, ordering_key, connection_id, channel, created_at, tx_id::text AS tx_id, seq FROM events
        WHERE (tx_id, seq) > (${cursor.tx_id}::xid8, ${cursor.seq}::bigint) AND ${settled()}
        ORDER BY tx_id, seq LIMIT ${DISPATCH_BATCH}`.execute(trx);
      if (events.length === 0) return 0;
      const tenants = [...new Set(events.map((e) => e.tenant_id))];
      const endpoints = await trx
        .selectFrom('webhook_endpoints')
        .select(['id', 'tenant_id', 'event_types', 'connection_ids', 'channels', 'created_at'])
        .where('enabled', '=', true)
        .where('tenant_id', '=', sql<string>`ANY(${tenants})`)
        .execute();
      const byTenant = new Map<string, typeof endpoints>();
      for (const ep of endpoints) byTenant.set(ep.tenant_id, [...(byTenant.get(ep.tenant_id) ?? []), ep]);
      const now = new Date();
      const deliveries = [];
      const touched = new Set<string>();
      for (const e of events) {
        for (const ep of byTenant.get(e.tenant_id) ?? []) {
          if (e.created_at < ep.created_at || !matchesEventType(ep.event_types, e.type)) continue;
          if (ep.connection_ids.length && !(e.connection_id && ep.connection_ids.includes(e.connection_id))) continue;
          if (ep.channels.length && !(e.channel && ep.channels.includes(e.channel))) continue;
          touched.add(ep.id);
          deliveries.push({
            id: newId('webhookDelivery'),
            tenant_id: e.tenant_id,
            endpoint_id: ep.id,
            event_id: e.id,
            ordering_key: e.ordering_key,
            state: 'pending',
            attempts: 0,
            next_attempt_at: now,
            last_attempt_at: null,
            last_status: null,
            last_error: null,
            last_duration_ms: null,
            window_start: now,
            created_at: now,
            updated_at: now,
            delivered_at: null,
          });
        }
      }
      for (let i = 0; i < deliveries.length; i += 2000) {
        await trx.insertInto('webhook_deliveries').values(deliveries.slice(i, i + 2000)).onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing()).execute();
      }
      for (const id of touched) await queueDrain(trx, id);
      const last = events.at(-1)!;
      await sql`UPDATE webhook_dispatch SET tx_id = ${last.tx_id}::xid8, seq = ${last.seq}, updated_at = now() WHERE id = 1`.execute(trx);
      return events.length;
    });
  }

  /** One drain job: attempts due deliveries of one endpoint until none is due or the budget is spent. */
  async drain(endpointId: string): Promise<void> {
    const started = Date.now();
    const ep = await this.o.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', endpointId).executeTakeFirst();
    if (!ep || !ep.enabled) return;
    for (;;) {
      const heads = await dueHeads(this.o.db, endpointId, this.settings.parallelPerEndpoint);
      if (heads.length === 0) break;
      const outcomes = await this.attemptAll(ep, heads);
      const disabled = await this.record(ep, heads, outcomes);
      if (disabled) return;
      if (Date.now() - started > this.settings.drainBudgetMs) break;
    }
    const next = await nextDue(this.o.db, endpointId);
    // preserve_run_at: a drain queued meanwhile for new deliveries (due now) keeps its earlier time.
    if (next) await queueDrain(this.o.db, endpointId, next, 'preserve_run_at');
  }

  private async attemptAll(ep: EndpointRow, heads: DueDelivery[]): Promise<Outcome[]> {
    // The address is checked again at delivery time: a name may resolve elsewhere than when it was saved.
    try {
      await assertUpstreamUrl(ep.url, this.settings.allowPrivate, 'url');
    } catch (err) {
      return heads.map(() => ({ ok: false, status: null, error: `refused: ${errorMessage(err)}`, ms: 0 }));
    }
    const secret = this.o.box.open(ep.secret_enc);
    const events = await this.o.db
      .selectFrom('events')
      .select(['id', 'type', 'entity_type', 'entity_id', 'connection_id', 'channel', 'data', 'created_at'])
      .where('id', '=', sql<string>`ANY(${heads.map((h) => h.event_id)})`)
      .execute();
    const byId = new Map(events.map((e) => [e.id, e]));
    return Promise.all(
      heads.map((h) => {
        const e = byId.get(h.event_id);
        if (!e) return Promise.resolve({ ok: false, status: null, error: 'the event no longer exists', ms: 0 });
        return this.post(ep.url, secret, e.id, webhookBody(e));
      }),
    );
  }

  private post(url: string, secret: string, id: string, body: string): Promise<Outcome> {
    // node:http with keep-alive agents rather than fetch: a fraction of the CPU per request.
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (o: Omit<Outcome, 'ms'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...o, ms: Math.round(performance.now() - started) });
      };
      const req = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? this.#agents.https : this.#agents.http,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Switchyard-Webhooks/1',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': sign(secret, id, timestamp, body),
          },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          // Redirects are not followed (the target was checked, its redirect was not): a failure like any non-2xx.
          res.on('data', () => undefined);
          res.on('end', () => done({ ok: status >= 200 && status < 300, status, error: status >= 200 && status < 300 ? null : `answered ${status}` }));
          res.on('error', (err) => done({ ok: false, status, error: `could not read the answer: ${errorMessage(err)}`.slice(0, 500) }));
        },
      );
      const timer = setTimeout(() => {
        done({ ok: false, status: null, error: `no answer within ${this.settings.timeoutMs} ms` });
        req.destroy();
      }, this.settings.timeoutMs);
      req.on('error', (err) => done({ ok: false, status: null, error: `could not deliver: ${errorMessage(err)}`.slice(0, 500) }));
      req.end(body);
    });
  }

  /** Records a round of attempts; disables the endpoint when it has failed for too long. Returns whether it did. */
  private async record(ep: EndpointRow, heads: DueDelivery[], outcomes: Outcome[]): Promise<boolean> {
    const now = Date.now();
    const s = this.settings;
    const rows = heads.map((h, i) => {
      const o = outcomes[i]!;
      const attempts = h.attempts + 1;
      const giveUp = !o.ok && now - h.window_start.getTime() >= s.retryWindowMs;
      const state = o.ok ? 'succeeded' : giveUp ? 'failed' : 'pending';
      const nextAt = state === 'pending' ? new Date(now + backoffMs(attempts, s.backoffBaseMs, s.backoffCapMs, s.random)) : null;
      return { id: h.id, state, nextAt, status: o.status, error: o.error, ms: o.ms };
    });
    const anyOk = outcomes.some((o) => o.ok);
    const failures = outcomes.filter((o) => !o.ok).length;
    let disabled = false;
    await this.o.db.transaction().execute(async (trx) => {
      await sql`
        UPDATE webhook_deliveries d SET
          state = v.state, attempts = d.attempts + 1, next_attempt_at = v.next_at, last_attempt_at = clock_timestamp(),
          last_status = v.status, last_error = v.error, last_duration_ms = v.ms, updated_at = clock_timestamp(),
          delivered_at = CASE WHEN v.state = 'succeeded' THEN clock_timestamp() ELSE d.delivered_at END
        FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.state)}::text[], ${rows.map((r) => r.nextAt)}::timestamptz[],
                    ${rows.map((r) => r.status)}::int[], ${rows.map((r) => r.error)}::text[], ${rows.map((r) => r.ms)}::int[])
          AS v(id, state, next_at, status, error, ms)
        WHERE d.id = v.id AND d.state = 'pending'`.execute(trx);
      if (anyOk) {
        await trx.updateTable('webhook_endpoints').set({ failing_since: null, consecutive_failures: 0, last_success_at: new Date(now), ...(failures && { last_failure_at: new Date(now) }) }).where('id', '=', ep.id).execute();
        return;
      }
      const updated = await trx
        .updateTable('webhook_endpoints')
        .set({ failing_since: sql`coalesce(failing_since, ${new Date(now)})`, consecutive_failures: sql`consecutive_failures + ${failures}`, last_failure_at: new Date(now) })
        .where('id', '=', ep.id)
        .returning(['failing_since', 'consecutive_failures', 'enabled'])
        .executeTakeFirst();
      if (!updated?.enabled || !updated.failing_since || now - updated.failing_since.getTime() < s.disableAfterMs) return;
      const reason = `every attempt failed since ${updated.failing_since.toISOString()} (${updated.consecutive_failures} attempts in a row)`;
      const off = await trx
        .updateTable('webhook_endpoints')
        .set({ enabled: false, disabled_reason: reason, updated_at: new Date(now) })
        .where('id', '=', ep.id)
        .where('enabled', '=', true)
        .returning(['id', 'url', 'failing_since', 'consecutive_failures'])
        .executeTakeFirst();
      if (!off) return;
      disabled = true;
      await writeEvents(trx, [
        {
          tenantId: ep.tenant_id,
          type: 'webhook.disabled',
          entityType: 'webhook_endpoint',
          entityId: ep.id,
          data: { object: { id: ep.id, url: ep.url, enabled: false, disabled_reason: reason, failing_since: off.failing_since?.toISOString() ?? null, consecutive_failures: off.consecutive_failures } },
        },
      ]);
    });
    if (disabled) this.o.log.warn({ tenant_id: ep.tenant_id, webhook_id: ep.id }, 'webhook endpoint disabled after failing for too long');
    return disabled;
  }
}

const DISPATCH_BATCH = 1000;
