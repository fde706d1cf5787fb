// Fulfillment confirmation: every shipment the store records for an imported order (partial ones
// included) is confirmed on the marketplace order it came from, once: the row (link, shipment) is the
// guard and `confirm-shipment:<link>:<shipment id>` the operation's key. A refused confirmation fails
// its operation (validation errors are not retried) and lands in the exception list.
import { sql } from 'kysely';
import { raiseException } from '../../store/flows.ts';
import type { FlowContext, FlowRunResult } from './host.ts';
import { submit } from './shared.ts';

interface Pending {
  shipment_id: string;
  lines: { sku: string; quantity: number; external_line_id?: string | null }[];
  carrier: string | null;
  service: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  shipped_at: Date | null;
  marketplace_connection_id: string;
  marketplace_order_external_id: string;
  marketplace_order_id: string;
  line_map: { source_line_external_id: string; source_sku: string; target_sku: string }[];
}

export async function fulfillmentConfirmation(ctx: FlowContext): Promise<FlowRunResult> {
  const { db, link } = ctx;
  const targets = ctx.targets.map((t) => t.connection_id);
  const { rows } = await sql<Pending>`
    SELECT s.id AS shipment_id, s.lines, s.carrier, s.service, s.tracking_number, s.tracking_url, s.shipped_at,
           mo.connection_id AS marketplace_connection_id, mo.external_id AS marketplace_order_external_id, mo.id AS marketplace_order_id, fi.line_map
    FROM shipments s
    JOIN orders so ON so.id = s.order_id
    JOIN flow_order_imports fi ON fi.target_connection_id = s.connection_id AND fi.target_external_id = so.external_id AND fi.state = 'created'
    JOIN orders mo ON mo.id = fi.source_order_id
    WHERE s.connection_id = ${link.source_connection_id} AND s.deleted_at IS NULL
      AND mo.connection_id = ANY(${targets})
      AND NOT EXISTS (SELECT 1 FROM flow_shipment_confirmations c WHERE c.link_id = ${link.id} AND c.shipment_id = s.id)
    ORDER BY s.created_at LIMIT 500`.execute(db);
  let submitted = 0;
  for (const s of rows) {
    const lines: { external_line_id: string | null; sku: string; quantity: number }[] = [];
    const unmatched: string[] = [];
    for (const l of s.lines) {
      const m = s.line_map.find((x) => x.target_sku === l.sku);
      if (!m) unmatched.push(l.sku);
      else lines.push({ external_line_id: m.source_line_external_id, sku: m.source_sku, quantity: l.quantity });
    }
    const carrier = s.carrier ? (ctx.rules.carriers[s.carrier] ?? s.carrier) : null;
    await db.transaction().execute(async (trx) => {
      const now = new Date();
      const staged = await trx
        .insertInto('flow_shipment_confirmations')
        .values({ link_id: link.id, shipment_id: s.shipment_id, target_connection_id: s.marketplace_connection_id, marketplace_order_id: s.marketplace_order_id, state: unmatched.length || !lines.length ? 'unmatched' : 'pending', operation_id: null, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['link_id', 'shipment_id']).doNothing())
        .returning('state')
        .executeTakeFirst();
      if (!staged) return;
      if (staged.state === 'unmatched') {
        await raiseException(trx, { tenantId: link.tenant_id, linkId: link.id, kind: 'unmatched_shipment', subject: s.shipment_id, reason: `shipment lines ${unmatched.join(', ')} match no line of marketplace order ${s.marketplace_order_external_id}`, details: { marketplace_order_id: s.marketplace_order_id } });
        return;
      }
      const payload = {
        order_external_id: s.marketplace_order_external_id,
        lines,
        carrier,
        service: s.service,
        tracking_number: s.tracking_number,
        tracking_url: s.tracking_url,
        shipped_at: s.shipped_at ? new Date(s.shipped_at).toISOString() : null,
      };
      const opId = await submit(ctx, trx, s.marketplace_connection_id, 'shipment.create', payload, `confirm-shipment:${link.id}:${s.shipment_id}`);
      await trx.updateTable('flow_shipment_confirmations').set({ operation_id: opId }).where('link_id', '=', link.id).where('shipment_id', '=', s.shipment_id).execute();
      submitted += 1;
    });
  }
  return { submitted, notes: { shipments: rows.length } };
}
