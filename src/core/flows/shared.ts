// Helpers the flows share: which SKUs a target knows, whether an adapter has a write, submitting an
// operation inside the flow's transaction, raising an oversell once per SKU.
import { sql } from 'kysely';
import type { Db } from '../../store/db.ts';
import { raiseException } from '../../store/flows.ts';
import type { OperationKind } from '../../store/sync.ts';
import type { ChannelWrites } from '../ports.ts';
import type { FlowContext } from './host.ts';

/** SKUs that exist on a connection: its variants, its stock levels, and listings a flow published there. */
export async function knownSkus(db: Db, connectionId: string): Promise<Set<string>> {
  const { rows } = await sql<{ sku: string }>`
    SELECT sku FROM product_variants WHERE connection_id = ${connectionId}
    UNION SELECT sku FROM inventory_levels WHERE connection_id = ${connectionId}
    UNION SELECT sku FROM flow_listings WHERE target_connection_id = ${connectionId} AND state = 'published'`.execute(db);
  return new Set(rows.map((r) => r.sku));
}

/** Whether the connection's adapter has `write` (a capability may be served by single writes only). */
export async function hasWrite(ctx: FlowContext, connectionId: string, write: keyof ChannelWrites): Promise<boolean> {
  const live = await ctx.host.adapters.get(ctx.link.tenant_id, connectionId);
  return typeof live.adapter.writes?.[write] === 'function';
}

/** Submits an operation in the flow's transaction; returns its id. */
export async function submit(ctx: FlowContext, trx: Db, connectionId: string, kind: OperationKind, payload: unknown, idempotencyKey: string): Promise<string> {
  const { op } = await ctx.host.submit({ tenantId: ctx.link.tenant_id, connectionId, kind, payload, idempotencyKey }, trx);
  return op.id;
}

/** Operation ids among `ids` that are still pending, running or paused. */
export async function unfinished(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('operations').select('id').where('id', '=', sql<string>`ANY(${[...ids]})`).where('state', 'in', ['pending', 'running', 'paused']).execute();
  return new Set(rows.map((r) => r.id));
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Opens the oversell exception of a store SKU once for the tenant, whichever link noticed it first. Two
 * sales of the last unit are seen twice: by the order import (the store cannot cover the marketplace
 * order) and by the inventory sync (the store is short of what orders not yet in it hold). The merchant
 * has one problem, so one exception: a transaction-scoped advisory lock on (tenant, SKU) keeps two links'
 * runs from both finding none open and both opening one; the link that opened it refreshes it later.
 */
export async function raiseOversell(db: Db, e: { tenantId: string; linkId: string; sku: string; reason: string; details: Record<string, unknown> }): Promise<void> {
  const subject = `sku:${e.sku}`;
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`oversell:${e.tenantId}:${e.sku}`}, 0))`.execute(trx);
    const open = await trx
      .selectFrom('flow_exceptions')
      .select('link_id')
      .where('tenant_id', '=', e.tenantId)
      .where('kind', '=', 'oversell')
      .where('subject', '=', subject)
      .where('state', '=', 'open')
      .execute();
    if (open.some((x) => x.link_id !== e.linkId)) return;
    await raiseException(trx, { tenantId: e.tenantId, linkId: e.linkId, kind: 'oversell', subject, reason: e.reason, details: e.details });
  });
}
