// Runs the flows as jobs: a link's run is queued after a pull that changed something it reads (a burst
// of triggers within the link's debounce becomes one run), after an operation it made finishes, and
// on the link's interval. Runs of one link never overlap (one job queue per link). Each flow step
// writes its bookkeeping and the operations it causes in one transaction, with idempotency keys
// derived from the business action, so a crash, a retry or an overlapping pull never acts twice.
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import { getLinkById, linksTouching, raiseException, settleException, type LinkRow } from '../../store/flows.ts';
import type { OperationRow } from '../../store/sync.ts';
import { READ_CAPABILITY, type Entity, type ItemIssue } from '../ports.ts';
import type { ExecuteOutcome } from '../sync/operations.ts';
import type { Task } from 'graphile-worker';
import { errorMessage } from '../sync/retry.ts';
import { catalogPublish } from './catalog.ts';
import { cancellations } from './cancellations.ts';
import { fulfillmentConfirmation } from './fulfillment.ts';
import type { FlowContext, FlowRunnerHost, FlowRunResult } from './host.ts';
import { inventorySync, priceSync } from './inventory.ts';
import { LinkOptions, ProfileRules, type FlowType } from '../model/flow.ts';
import { orderImport } from './orders.ts';
import { rulesOfLink } from './profiles.ts';
import { FLOW_TASK, scheduleFlowTick, triggerFlow } from './queue.ts';
import { ruleFor } from './rules.ts';

const FLOWS: Record<FlowType, (ctx: FlowContext) => Promise<FlowRunResult>> = {
  catalog_publish: catalogPublish,
  inventory_sync: inventorySync,
  order_import: orderImport,
  fulfillment_confirmation: fulfillmentConfirmation,
  price_sync: priceSync,
  cancellation: cancellations,
};

/** Which pulls a link cares about: entities of its source, and of its targets. */
const READS: Record<FlowType, { source: Entity[]; target: Entity[] }> = {
  catalog_publish: { source: ['products', 'categories'], target: [] },
  inventory_sync: { source: ['inventory', 'orders'], target: ['orders', 'inventory', 'products'] },
  order_import: { source: ['orders'], target: ['products'] },
  fulfillment_confirmation: { source: ['shipments', 'orders'], target: ['orders'] },
  price_sync: { source: ['products'], target: ['products'] },
  cancellation: { source: ['orders'], target: ['orders'] },
};

/** Upstream writes whose effect is read back at once (a pull of what they changed), so flows see them. */
const REFRESH: Partial<Record<string, Entity[]>> = {
  'inventory.set': ['inventory'],
  'shipment.create': ['shipments', 'orders'],
  'product.update': ['products'],
  'price.update': ['products'],
  'order.create': ['orders', 'inventory'],
  'order.cancel': ['orders', 'inventory'],
};

/** Keys of writes that flows make to publish values: no read-back (the published state is ours). */
const NO_REFRESH_PREFIXES = ['stock:', 'stock-bulk:', 'price:', 'price-bulk:'];

/**
 * The flows as an extension of the sync engine: it runs the `flow` task, re-checks the links' schedules
 * with the engine's maintenance, and hears of stored records and finished operations through hooks.
 * `attachFlows(engine, log)` makes one and registers it; the engine does not know this module.
 */
export class FlowRunner {
  constructor(
    private readonly engine: FlowRunnerHost,
    private readonly log: Logger,
  ) {}

  tasks(): Record<string, Task> {
    return {
      [FLOW_TASK]: async (payload) => {
        await this.run((payload as { link_id: string }).link_id);
      },
    };
  }

  maintain(): Promise<void> {
    return this.ensureSchedules();
  }

  start(): Promise<void> {
    return this.ensureSchedules();
  }

  recordsStored(connectionId: string, entity: Entity): Promise<void> {
    return this.afterPull(connectionId, entity);
  }

  operationFinished(operationId: string, outcome: ExecuteOutcome): Promise<void> {
    return this.afterOperation(operationId, outcome);
  }

  /** Queues a run soon: triggers within the debounce share one run. */
  trigger(db: Db, link: Pick<LinkRow, 'id' | 'options'>, delayMs?: number): Promise<void> {
    return triggerFlow(db, link, delayMs);
  }

  /** The link's next regular run. */
  scheduleTick(db: Db, link: Pick<LinkRow, 'id' | 'interval_sec'>): Promise<void> {
    return scheduleFlowTick(db, link);
  }

  /** Every enabled link has its regular run queued (at start and every minute). */
  async ensureSchedules(): Promise<void> {
    const rows = await this.engine.db
      .selectFrom('flow_links')
      .select(['id', 'interval_sec', 'options'])
      .where('status', '=', 'enabled')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom(sql.table('graphile_worker.jobs').as('j')).select(sql.lit(1).as('one')).where(sql.ref('j.key'), '=', sql<string>`'flow:' || flow_links.id || ':tick'`))),
      )
      .execute();
    for (const l of rows) await this.scheduleTick(this.engine.db, l);
  }

  /** One run of a link. Errors are recorded on the link and the run is retried by the job engine. */
  async run(linkId: string): Promise<FlowRunResult | null> {
    const db = this.engine.db;
    const link = await getLinkById(db, linkId);
    if (!link || link.status !== 'enabled') return null;
    const log = this.log.child({ tenant_id: link.tenant_id, link_id: link.id, flow: link.flow });
    const rules = await rulesOfLink(db, link);
    const ctx: FlowContext = { db, host: this.engine, log, link, rules, options: LinkOptions.parse(link.options), targets: link.targets };
    const started = new Date();
    try {
      const result = await FLOWS[link.flow as FlowType](ctx);
      await db.updateTable('flow_links').set({ last_run_at: started, last_error: null, runs: sql`runs + 1` }).where('id', '=', link.id).execute();
      await this.scheduleTick(db, link);
      log.info({ submitted: result.submitted, ...result.notes }, 'flow run finished');
      return result;
    } catch (err) {
      const reason = errorMessage(err).slice(0, 2000);
      await db.updateTable('flow_links').set({ last_error: reason }).where('id', '=', link.id).execute();
      log.warn({ err: reason }, 'flow run failed');
      throw err;
    }
  }

  /** A pull stored records: the links that read them run soon. */
  async afterPull(connectionId: string, entity: Entity): Promise<void> {
    const links = await linksTouching(this.engine.db, connectionId);
    for (const link of links) {
      const reads = READS[link.flow as FlowType];
      if (!reads) continue;
      const asSource = link.source_connection_id === connectionId && reads.source.includes(entity);
      const asTarget = link.targets.some((t) => t.connection_id === connectionId) && reads.target.includes(entity);
      if (asSource || asTarget) await this.trigger(this.engine.db, link);
    }
  }

  /** An operation finished: the flow that made it records the outcome; API writes are read back. */
  async afterOperation(operationId: string, outcome: ExecuteOutcome): Promise<void> {
    if (outcome.state !== 'succeeded' && outcome.state !== 'failed') return;
    const db = this.engine.db;
    const op = await db.selectFrom('operations').selectAll().where('id', '=', operationId).executeTakeFirst();
    if (!op) return;
    const touched = new Set<string>();
    await db.transaction().execute(async (trx) => {
      for (const id of await recordOutcome(trx, op, outcome)) touched.add(id);
    });
    const touching = await linksTouching(db, op.connection_id);
    if (outcome.state === 'succeeded' && touching.length && !NO_REFRESH_PREFIXES.some((p) => op.idempotency_key.startsWith(p))) {
      // Read back only what a link reads from this connection: without links a write costs no pull.
      const wanted = new Set<Entity>();
      for (const l of touching) {
        const reads = READS[l.flow as FlowType];
        if (!reads) continue;
        for (const e of l.source_connection_id === op.connection_id ? reads.source : reads.target) wanted.add(e);
      }
      const entities = (REFRESH[op.kind] ?? []).filter((e) => wanted.has(e));
      const live = await this.engine.adapters.get(op.tenant_id, op.connection_id).catch(() => null);
      const caps = live?.factory.manifest.capabilities ?? [];
      if (live?.connection.status === 'active') {
        // A pull reads only up to the channel's safety lag before now: one run at once would stop short
        // of the write just made (Magento: 2 s), and the next scheduled pull can be many minutes away.
        // A second more for upstreams whose change times have one-second resolution (window ends are
        // whole seconds there too).
        const lag = live.factory.sync?.safetyLagMs ?? 0;
        const runAt = new Date(Date.now() + (lag > 0 ? lag + 1_250 : 0));
        for (const e of entities) if (caps.includes(READ_CAPABILITY[e])) await this.engine.schedulePull(db, op.tenant_id, op.connection_id, e, { runAt, replace: true });
      }
    }
    for (const linkId of touched) {
      const link = await getLinkById(db, linkId);
      if (link && link.status === 'enabled') await this.trigger(db, link);
    }
    // Links publishing to this connection may hold values back while a write is in flight.
    for (const link of touching) if (link.flow === 'inventory_sync' || link.flow === 'price_sync') await this.trigger(db, link);
  }
}

/** Writes an operation's outcome into the bookkeeping of the flow that made it; returns the links concerned. */
async function recordOutcome(trx: Db, op: OperationRow, outcome: ExecuteOutcome): Promise<string[]> {
  const ok = outcome.state === 'succeeded';
  const reason = outcome.state === 'failed' ? outcome.reason : '';
  const links: string[] = [];
  const now = new Date();
  if (op.kind === 'order.create') {
    const rows = await trx.selectFrom('flow_order_imports').selectAll().where('operation_id', '=', op.id).execute();
    for (const r of rows) {
      links.push(r.link_id);
      const external = ok ? ((outcome.result.external_id as string | null | undefined) ?? null) : null;
      await trx.updateTable('flow_order_imports').set({ state: ok ? 'created' : 'rejected', target_external_id: external, updated_at: now }).where('link_id', '=', r.link_id).where('source_order_id', '=', r.source_order_id).execute();
      if (!ok) await raiseException(trx, { tenantId: r.tenant_id, linkId: r.link_id, kind: 'order_rejected', subject: r.source_order_id, reason: `the target refused the order: ${reason}`, details: { operation_id: op.id } });
    }
  } else if (op.kind === 'shipment.create') {
    const rows = await trx.selectFrom('flow_shipment_confirmations').selectAll().where('operation_id', '=', op.id).execute();
    for (const r of rows) {
      links.push(r.link_id);
      await trx.updateTable('flow_shipment_confirmations').set({ state: ok ? 'confirmed' : 'rejected', updated_at: now }).where('link_id', '=', r.link_id).where('shipment_id', '=', r.shipment_id).execute();
      if (!ok) {
        await raiseException(trx, {
          tenantId: op.tenant_id,
          linkId: r.link_id,
          kind: 'confirmation_rejected',
          subject: r.shipment_id,
          reason: `the marketplace refused the shipment confirmation of order ${r.marketplace_order_id}: ${reason}`,
          details: { operation_id: op.id, marketplace_order_id: r.marketplace_order_id },
        });
      }
    }
  } else if (op.kind === 'listings.publish') {
    const rows = await trx.selectFrom('flow_listings').selectAll().where('operation_id', '=', op.id).execute();
    const result = ok ? (outcome.result as { accepted?: string[]; issues?: ItemIssue[] }) : null;
    // The marketplace's issues keep its own words and get the profile rule behind their attribute.
    const rulesOf = new Map<string, ProfileRules>();
    for (const r of rows) {
      links.push(r.link_id);
      if (!rulesOf.has(r.link_id)) {
        const link = await trx.selectFrom('flow_links').select(['tenant_id', 'profile_id']).where('id', '=', r.link_id).executeTakeFirstOrThrow();
        rulesOf.set(r.link_id, await rulesOfLink(trx, link));
      }
      const rules = rulesOf.get(r.link_id)!;
      const issues: ItemIssue[] = ok
        ? (result?.issues ?? []).filter((i) => i.sku === r.sku).map((i) => (i.attribute && !i.rule ? { ...i, rule: ruleFor(i.attribute, rules, i.field)?.rule ?? null } : i))
        : [{ sku: r.sku, code: 'WRITE_FAILED', message: reason, severity: 'error', attribute: null }];
      const rejected = issues.some((i) => i.severity === 'error');
      await trx
        .updateTable('flow_listings')
        .set({ state: rejected ? 'rejected' : 'published', issues: JSON.stringify(issues), updated_at: now })
        .where('link_id', '=', r.link_id)
        .where('target_connection_id', '=', r.target_connection_id)
        .where('marketplace_id', '=', r.marketplace_id)
        .where('sku', '=', r.sku)
        .execute();
      if (rejected) {
        await raiseException(trx, { tenantId: r.tenant_id, linkId: r.link_id, kind: 'listing_rejected', subject: r.product_id, reason: `listing ${r.sku}: ${issues.map((i) => `${i.code}${i.attribute ? ` (${i.attribute})` : ''}: ${i.message}`).join('; ')}`, details: { sku: r.sku, issues } });
      } else await settleException(trx, r.link_id, 'listing_rejected', r.product_id, 'published');
    }
  } else if (op.kind === 'order.cancel') {
    const rows = await trx.selectFrom('flow_cancellations').selectAll().where('operation_id', '=', op.id).execute();
    for (const r of rows) {
      links.push(r.link_id);
      await trx.updateTable('flow_cancellations').set({ state: ok ? 'canceled' : 'rejected' }).where('link_id', '=', r.link_id).where('order_id', '=', r.order_id).execute();
      if (!ok) await raiseException(trx, { tenantId: op.tenant_id, linkId: r.link_id, kind: 'cancellation', subject: r.order_id, reason: `the other side refused the cancellation: ${reason}`, details: { operation_id: op.id } });
    }
  } else if (!ok && (op.kind === 'inventory.set' || op.kind === 'inventory.set_bulk' || op.kind === 'price.update' || op.kind === 'price.update_bulk')) {
    // A value that could not be written is forgotten, so the link's next regular run tries again.
    await trx.deleteFrom('flow_published').where('operation_id', '=', op.id).execute();
  }
  return links;
}

/** Makes the flow runner of `engine` and registers its tasks and hooks there. */
export function attachFlows(engine: FlowRunnerHost, log: Logger): FlowRunner {
  const runner = new FlowRunner(engine, log);
  engine.use(runner);
  return runner;
}
