// Persistence of the flows: profiles, links, the exception list and the listings' state as the
// targets reported it. The per-flow bookkeeping (published values, imported orders, confirmed
// shipments) is written by the flows themselves inside their transactions.
import { sql, type Selectable, type SqlBool } from 'kysely';
import { newId } from '../core/ids.ts';
import { notFound } from '../core/errors.ts';
import type { ExceptionKind, FlowException, Link } from '../core/model/flow.ts';
import type { Db } from './db.ts';
import type { FlowExceptionsTable, FlowLinksTable, FlowListingsTable, FlowProfilesTable } from './schema.ts';
import { equalities, keysetPage, type Cursor, type Page, type Sort } from './paging.ts';
import { json } from './upsert.ts';

export type LinkRow = Selectable<FlowLinksTable>;
export type ProfileRow = Selectable<FlowProfilesTable>;
export type ExceptionRow = Selectable<FlowExceptionsTable>;
export type ListingRow = Selectable<FlowListingsTable>;

export function toLink(r: LinkRow): Link {
  return {
    id: r.id,
    name: r.name,
    flow: r.flow as Link['flow'],
    source_connection_id: r.source_connection_id,
    targets: r.targets,
    profile_id: r.profile_id,
    options: r.options,
    interval_sec: r.interval_sec,
    status: r.status as Link['status'],
    last_run_at: r.last_run_at?.toISOString() ?? null,
    last_error: r.last_error,
    runs: r.runs,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

export function toProfile(r: ProfileRow) {
  return { id: r.id, name: r.name, rules: r.rules, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() };
}

export function toException(r: ExceptionRow): FlowException {
  return {
    id: r.id,
    link_id: r.link_id,
    kind: r.kind as ExceptionKind,
    subject: r.subject,
    reason: r.reason,
    details: r.details,
    state: r.state as FlowException['state'],
    resolution: r.resolution,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

// ---- Profiles ----

export async function insertProfile(db: Db, tenantId: string, name: string, rules: object): Promise<ProfileRow> {
  const now = new Date();
  return db
    .insertInto('flow_profiles')
    .values({ id: newId('profile'), tenant_id: tenantId, name, rules: json(rules), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getProfile(db: Db, tenantId: string, id: string): Promise<ProfileRow> {
  const row = await db.selectFrom('flow_profiles').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Profile', id);
  return row;
}

export async function updateProfile(db: Db, tenantId: string, id: string, patch: { name?: string; rules?: object }): Promise<ProfileRow> {
  const row = await db
    .updateTable('flow_profiles')
    .set({ ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.rules !== undefined ? { rules: json(patch.rules) } : {}), updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('Profile', id);
  return row;
}

export async function listProfiles(db: Db, tenantId: string, sort: Sort, cursor: Cursor | null, limit: number): Promise<Page<ProfileRow>> {
  return keysetPage(db.selectFrom('flow_profiles').selectAll().where('tenant_id', '=', tenantId), { table: 'flow_profiles', sort, cursor, limit }, (rows) => rows);
}

// ---- Links ----

export async function getLink(db: Db, tenantId: string, id: string): Promise<LinkRow> {
  const row = await db.selectFrom('flow_links').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Link', id);
  return row;
}

export async function getLinkById(db: Db, id: string): Promise<LinkRow | undefined> {
  return db.selectFrom('flow_links').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listLinks(db: Db, tenantId: string, f: { flow?: string | undefined; status?: string | undefined; connection_id?: string | undefined }, sort: Sort, cursor: Cursor | null, limit: number): Promise<Page<LinkRow>> {
  const where = equalities('flow_links', { flow: f.flow, status: f.status });
  if (f.connection_id) where.push(sql<SqlBool>`(flow_links.source_connection_id = ${f.connection_id} OR flow_links.targets @> ${JSON.stringify([{ connection_id: f.connection_id }])}::jsonb)`);
  return keysetPage(db.selectFrom('flow_links').selectAll().where('tenant_id', '=', tenantId), { table: 'flow_links', sort, cursor, limit, where }, (rows) => rows);
}

/** Enabled links that read from or write to a connection. */
export async function linksTouching(db: Db, connectionId: string): Promise<LinkRow[]> {
  return db
    .selectFrom('flow_links')
    .selectAll()
    .where('status', '=', 'enabled')
    .where((eb) => eb.or([eb('source_connection_id', '=', connectionId), sql<boolean>`targets @> ${JSON.stringify([{ connection_id: connectionId }])}::jsonb`]))
    .execute();
}

// ---- Exceptions ----

/** Opens an exception, or refreshes the open one about the same (link, kind, subject). */
export async function raiseException(db: Db, e: { tenantId: string; linkId: string | null; kind: ExceptionKind; subject: string; reason: string; details?: Record<string, unknown> }): Promise<void> {
  const now = new Date();
  await db
    .insertInto('flow_exceptions')
    .values({ id: newId('flowException'), tenant_id: e.tenantId, link_id: e.linkId, kind: e.kind, subject: e.subject, reason: e.reason.slice(0, 4000), details: json(e.details ?? {}), state: 'open', resolution: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['link_id', 'kind', 'subject']).where('state', '=', 'open').doUpdateSet({ reason: e.reason.slice(0, 4000), details: json(e.details ?? {}), updated_at: now }))
    .execute();
}

/** Closes the open exception about (link, kind, subject), when the flow got past it by itself. */
export async function settleException(db: Db, linkId: string, kind: ExceptionKind, subject: string, resolution: string): Promise<void> {
  await db
    .updateTable('flow_exceptions')
    .set({ state: 'resolved', resolution, updated_at: new Date() })
    .where('link_id', '=', linkId)
    .where('kind', '=', kind)
    .where('subject', '=', subject)
    .where('state', '=', 'open')
    .execute();
}

export async function listExceptions(
  db: Db,
  tenantId: string,
  f: { link_id?: string | undefined; kind?: string | undefined; state?: string | undefined; subject?: string | undefined },
  sort: Sort,
  cursor: Cursor | null,
  limit: number,
): Promise<Page<ExceptionRow>> {
  const where = equalities('flow_exceptions', { link_id: f.link_id, kind: f.kind, state: f.state, subject: f.subject });
  return keysetPage(db.selectFrom('flow_exceptions').selectAll().where('tenant_id', '=', tenantId), { table: 'flow_exceptions', sort, cursor, limit, where }, (rows) => rows);
}

export async function resolveException(db: Db, tenantId: string, id: string, resolution: string): Promise<ExceptionRow> {
  const row = await db
    .updateTable('flow_exceptions')
    .set({ state: 'resolved', resolution, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('Exception', id);
  return row;
}

// ---- Listings ----

export async function listingsFor(db: Db, tenantId: string, f: { link_id?: string | undefined; product_id?: string | undefined; state?: string | undefined }, limit: number): Promise<ListingRow[]> {
  return db
    .selectFrom('flow_listings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .$if(!!f.link_id, (q) => q.where('link_id', '=', f.link_id!))
    .$if(!!f.product_id, (q) => q.where('product_id', '=', f.product_id!))
    .$if(!!f.state, (q) => q.where('state', '=', f.state!))
    .orderBy('sku')
    .limit(limit)
    .execute();
}
