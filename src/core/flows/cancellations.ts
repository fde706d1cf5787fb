// Cancellations, either way: a marketplace order canceled after its import cancels the store order, and
// a store order canceled cancels the marketplace order, automatically or through the exception list as
// the profile says. Each canceled order is handled once per link (the row (link, order) is the guard),
// so the side that restores stock does it once. A side whose channel cannot cancel orders (no cancel API)
// always gets the exception.
import { sql } from 'kysely';
import { raiseException } from '../../store/flows.ts';
import type { FlowContext, FlowRunResult } from './host.ts';
import { hasWrite, submit } from './shared.ts';

interface Pair {
  canceled_id: string;
  canceled_number: string;
  other_connection_id: string;
  other_external_id: string;
  other_id: string | null;
}

export async function cancellations(ctx: FlowContext): Promise<FlowRunResult> {
  const { db, link } = ctx;
  const a = link.source_connection_id;
  const bs = ctx.targets.map((t) => t.connection_id);
  // Imported orders between the two sides, with whichever side is canceled and the other is not.
  const { rows } = await sql<Pair>`
    SELECT mo.id AS canceled_id, mo.order_number AS canceled_number, fi.target_connection_id AS other_connection_id, fi.target_external_id AS other_external_id, so.id AS other_id
    FROM flow_order_imports fi
    JOIN orders mo ON mo.id = fi.source_order_id
    LEFT JOIN orders so ON so.connection_id = fi.target_connection_id AND so.external_id = fi.target_external_id
    WHERE fi.state = 'created' AND mo.status = 'canceled' AND COALESCE(so.status, '') <> 'canceled'
      AND ((mo.connection_id = ${a} AND fi.target_connection_id = ANY(${bs})) OR (fi.target_connection_id = ${a} AND mo.connection_id = ANY(${bs})))
      AND NOT EXISTS (SELECT 1 FROM flow_cancellations c WHERE c.link_id = ${link.id} AND c.order_id = mo.id)
    UNION ALL
    SELECT so.id, so.order_number, mo.connection_id, mo.external_id, mo.id
    FROM flow_order_imports fi
    JOIN orders mo ON mo.id = fi.source_order_id
    JOIN orders so ON so.connection_id = fi.target_connection_id AND so.external_id = fi.target_external_id
    WHERE fi.state = 'created' AND so.status = 'canceled' AND mo.status <> 'canceled'
      AND ((mo.connection_id = ${a} AND fi.target_connection_id = ANY(${bs})) OR (fi.target_connection_id = ${a} AND mo.connection_id = ANY(${bs})))
      AND NOT EXISTS (SELECT 1 FROM flow_cancellations c WHERE c.link_id = ${link.id} AND c.order_id = so.id)
    LIMIT 500`.execute(db);
  let submitted = 0;
  const canCancel = new Map<string, boolean>();
  for (const p of rows) {
    if (!canCancel.has(p.other_connection_id)) canCancel.set(p.other_connection_id, await cancelable(ctx, p.other_connection_id));
    await db.transaction().execute(async (trx) => {
      // A side that cannot cancel through its API gets the exception instead of an operation that would
      // fail (or a run that fails again on every trigger): the merchant cancels it there by hand.
      const uncancelable = !canCancel.get(p.other_connection_id);
      const automatic = ctx.rules.cancellations === 'automatic' && !uncancelable;
      const staged = await trx
        .insertInto('flow_cancellations')
        .values({ link_id: link.id, order_id: p.canceled_id, state: automatic ? 'pending' : 'exception', operation_id: null, created_at: new Date() })
        .onConflict((oc) => oc.columns(['link_id', 'order_id']).doNothing())
        .returning('state')
        .executeTakeFirst();
      if (!staged) return;
      if (!automatic) {
        const reason = uncancelable
          ? `order ${p.canceled_number} was canceled; its counterpart ${p.other_external_id} is not, and its channel cannot cancel orders through its API: cancel it there`
          : `order ${p.canceled_number} was canceled; its counterpart ${p.other_external_id} is not`;
        await raiseException(trx, { tenantId: link.tenant_id, linkId: link.id, kind: 'cancellation', subject: p.canceled_id, reason, details: { counterpart_connection_id: p.other_connection_id, counterpart_external_id: p.other_external_id, cancelable: !uncancelable } });
        return;
      }
      const opId = await submit(ctx, trx, p.other_connection_id, 'order.cancel', { order_external_id: p.other_external_id, reason: `canceled on the other channel (order ${p.canceled_number})` }, `cancel-order:${link.id}:${p.canceled_id}`);
      await trx.updateTable('flow_cancellations').set({ operation_id: opId }).where('link_id', '=', link.id).where('order_id', '=', p.canceled_id).execute();
      submitted += 1;
    });
  }
  return { submitted, notes: { canceled: rows.length } };
}

/** Whether a connection's channel can cancel an order (the capability the order.cancel operation needs). */
async function cancelable(ctx: FlowContext, connectionId: string): Promise<boolean> {
  const live = await ctx.host.adapters.get(ctx.link.tenant_id, connectionId);
  return live.factory.manifest.capabilities.includes('orders.cancel') && (await hasWrite(ctx, connectionId, 'cancelOrder'));
}
