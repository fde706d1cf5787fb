// Saving links and profiles: everything a link names must exist for the tenant and be able to do what
// the flow asks (capabilities), and no two links may write the same kind of data toward each other
// (ownership: the system that owns stock, prices or catalog data is never written by a flow).
import { sql } from 'kysely';
import type { AdapterRegistry } from '../registry.ts';
import { getConnection } from '../../store/connections.ts';
import type { Db } from '../../store/db.ts';
import { getLink, type LinkRow } from '../../store/flows.ts';
import { AppError, isAppError, type FieldError } from '../errors.ts';
import { newId } from '../ids.ts';
import { triggerFlow } from './queue.ts';
import { FLOW_NEEDS, FLOW_WRITES, ProfileRules, type FlowType, type LinkInput, type LinkPatch } from '../model/flow.ts';
import { rulesOfLink } from './profiles.ts';

async function check(db: Db, registry: AdapterRegistry, tenantId: string, link: { id?: string; flow: FlowType; source_connection_id: string; targets: { connection_id: string }[]; profile_id?: string | null | undefined }): Promise<void> {
  const errors: FieldError[] = [];
  const needs = FLOW_NEEDS[link.flow];
  const capsOf = async (id: string, path: string): Promise<readonly string[] | null> => {
    try {
      const c = await getConnection(db, tenantId, id);
      return registry.get(c.channel)?.manifest.capabilities ?? [];
    } catch {
      errors.push({ path, message: `connection ${id} does not exist` });
      return null;
    }
  };
  const sourceCaps = await capsOf(link.source_connection_id, 'source_connection_id');
  if (sourceCaps) for (const c of needs.source) if (!sourceCaps.includes(c)) errors.push({ path: 'source_connection_id', message: `the source cannot do ${c}, which ${link.flow} needs` });
  const seen = new Set<string>();
  for (const [i, t] of link.targets.entries()) {
    if (t.connection_id === link.source_connection_id) errors.push({ path: `targets.${i}.connection_id`, message: 'a target cannot be the source' });
    if (seen.has(t.connection_id)) errors.push({ path: `targets.${i}.connection_id`, message: 'named twice' });
    seen.add(t.connection_id);
    const caps = await capsOf(t.connection_id, `targets.${i}.connection_id`);
    if (caps) for (const c of needs.target) if (!caps.includes(c)) errors.push({ path: `targets.${i}.connection_id`, message: `the target cannot do ${c}, which ${link.flow} needs` });
  }
  if (link.flow === 'order_import' && link.targets.length !== 1) errors.push({ path: 'targets', message: 'an order import has exactly one target store' });
  let rules = ProfileRules.parse({});
  if (link.profile_id) {
    try {
      rules = await rulesOfLink(db, { tenant_id: tenantId, profile_id: link.profile_id });
    } catch (err) {
      if (!isAppError(err)) throw err;
      if (err.kind === 'not_found') errors.push({ path: 'profile_id', message: `profile ${link.profile_id} does not exist` });
      else errors.push(...(err.errors ?? [{ path: 'profile_id', message: err.message }]));
    }
  } else if (needs.profile) errors.push({ path: 'profile_id', message: `${link.flow} needs a mapping profile` });
  // Ownership: a flow never writes data its target owns, and two links never write the same data
  // toward each other (stock from A to B and from B to A would chase each other forever).
  const writes = FLOW_WRITES[link.flow];
  if (writes && rules.ownership[writes] === 'target') errors.push({ path: 'profile_id', message: `the profile says the target owns ${writes}; ${link.flow} would overwrite it` });
  if (writes) {
    const { rows } = await sql<{ id: string }>`
      SELECT id FROM flow_links
      WHERE tenant_id = ${tenantId} AND flow = ${link.flow} AND status = 'enabled' AND id <> ${link.id ?? ''}
        AND source_connection_id = ANY(${link.targets.map((t) => t.connection_id)})
        AND targets @> ${JSON.stringify([{ connection_id: link.source_connection_id }])}::jsonb`.execute(db);
    for (const r of rows) errors.push({ path: 'targets', message: `link ${r.id} already writes ${writes} the other way; the two would overwrite each other in a loop` });
  }
  if (errors.length) throw new AppError('validation', 'the link is not valid', { errors });
}

export async function createLink(db: Db, registry: AdapterRegistry, tenantId: string, input: LinkInput): Promise<LinkRow> {
  await check(db, registry, tenantId, input);
  const now = new Date();
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('flow_links')
      .values({
        id: newId('link'),
        tenant_id: tenantId,
        name: input.name,
        flow: input.flow,
        source_connection_id: input.source_connection_id,
        targets: JSON.stringify(input.targets),
        profile_id: input.profile_id ?? null,
        options: JSON.stringify(input.options),
        interval_sec: input.interval_sec,
        status: input.status,
        last_run_at: null,
        last_error: null,
        runs: 0,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (row.status === 'enabled') await triggerFlow(trx, row, 0);
    return row;
  });
}

export async function changeLink(db: Db, registry: AdapterRegistry, tenantId: string, id: string, patch: LinkPatch): Promise<LinkRow> {
  const cur = await getLink(db, tenantId, id);
  const next = {
    id,
    flow: cur.flow as FlowType,
    source_connection_id: cur.source_connection_id,
    targets: patch.targets ?? cur.targets,
    profile_id: patch.profile_id === undefined ? cur.profile_id : patch.profile_id,
  };
  await check(db, registry, tenantId, next);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('flow_links')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.targets !== undefined ? { targets: JSON.stringify(patch.targets) } : {}),
        ...(patch.profile_id !== undefined ? { profile_id: patch.profile_id } : {}),
        ...(patch.options !== undefined ? { options: JSON.stringify(patch.options) } : {}),
        ...(patch.interval_sec !== undefined ? { interval_sec: patch.interval_sec } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        updated_at: new Date(),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (row.status === 'enabled') await triggerFlow(trx, row, 0);
    return row;
  });
}

export async function deleteLink(db: Db, tenantId: string, id: string): Promise<void> {
  const res = await db.deleteFrom('flow_links').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (res.numDeletedRows === 0n) throw new AppError('not_found', `Link ${id} was not found`);
}

/** A changed profile: its links run again soon (catalog publish re-maps everything). */
export async function profileChanged(db: Db, tenantId: string, profileId: string): Promise<void> {
  const links = await db.selectFrom('flow_links').selectAll().where('tenant_id', '=', tenantId).where('profile_id', '=', profileId).where('status', '=', 'enabled').execute();
  for (const l of links) await triggerFlow(db, l, 0);
}

export async function deleteProfile(db: Db, tenantId: string, id: string): Promise<void> {
  const used = await db.selectFrom('flow_links').select('id').where('tenant_id', '=', tenantId).where('profile_id', '=', id).execute();
  if (used.length) throw new AppError('conflict', `profile ${id} is used by ${used.map((u) => u.id).join(', ')}`);
  const res = await db.deleteFrom('flow_profiles').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (res.numDeletedRows === 0n) throw new AppError('not_found', `Profile ${id} was not found`);
}
