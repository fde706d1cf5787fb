// Keyset paging shared by every list: a cursor is the (sort value, id) of the last row served, so a page
// deep in a large table costs the same as the first, and rows inserted while a client pages never cause
// a gap or a repeat among the rows it is walking.
//
// One list helper, keysetPage: a list function gives its base query (table, columns, tenant) and its
// filters as conditions; the helper adds the cursor, the order and the `limit + 1` row that tells
// whether a next page exists, and writes the next cursor.
import { sql, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { AppError } from '../core/errors.ts';
import { decodeToken, encodeToken } from '../core/ids.ts';
import type { Database } from './schema.ts';

export type SortColumn = 'created_at' | 'updated_at' | 'id';
export interface Sort {
  column: SortColumn;
  desc: boolean;
}

export const SORT_VALUES = ['created_at', '-created_at', 'updated_at', '-updated_at'] as const;
export type SortParam = (typeof SORT_VALUES)[number];

export function parseSort(value: SortParam | undefined, fallback: Sort = { column: 'created_at', desc: true }): Sort {
  if (!value) return fallback;
  const desc = value.startsWith('-');
  return { column: (desc ? value.slice(1) : value) as SortColumn, desc };
}

export interface Cursor {
  /** The sort column's value of the last row (ISO time), or null when sorting by id alone. */
  v: string | null;
  id: string;
  /** The sort the cursor was made for; a cursor cannot be reused with another sort. */
  s: string;
}

export function encodeCursor(c: Cursor): string {
  return encodeToken([c.s, c.v, c.id]);
}

/** The time format of issued cursors: Date#toISOString, years 0001 to 9999. */
const ISSUED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function decodeCursor(text: string, sort: Sort): Cursor {
  const invalid = () =>
    new AppError('validation', 'cursor is not valid for this list', { errors: [{ path: 'cursor', message: 'not a cursor issued by this list with this sort' }] });
  const parsed = decodeToken(text);
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [s, v, id] = parsed as unknown[];
  if (s !== sortKey(sort) || typeof id !== 'string' || id.length > 64) throw invalid();
  if (sort.column === 'id') {
    if (v !== null) throw invalid();
  } else if (typeof v !== 'string' || !ISSUED_TIME.test(v) || v.startsWith('0000') || new Date(v).toISOString() !== v) {
    // Only the form keysetPage writes: Date.parse also takes "2026", "Jan 1 2026" or year 0, which
    // PostgreSQL reads differently or refuses with an error (a 500 instead of this 400).
    throw invalid();
  }
  return { s, v: v as string | null, id };
}

export function sortKey(sort: Sort): string {
  return `${sort.desc ? '-' : ''}${sort.column}`;
}

/** `(t.col, t.id) > (v, id)` (or `<` when descending): the rows after the cursor. */
export function afterCursor(table: string, sort: Sort, cursor: Cursor | null): RawBuilder<SqlBool> | null {
  if (!cursor) return null;
  const op = sql.raw(sort.desc ? '<' : '>');
  const idRef = sql.ref(`${table}.id`);
  if (sort.column === 'id') return sql<SqlBool>`${idRef} ${op} ${cursor.id}`;
  return sql<SqlBool>`(${sql.ref(`${table}.${sort.column}`)}, ${idRef}) ${op} (${cursor.v}::timestamptz, ${cursor.id})`;
}

export function orderBy(table: string, sort: Sort): RawBuilder<unknown> {
  const dir = sql.raw(sort.desc ? 'DESC' : 'ASC');
  const idRef = sql.ref(`${table}.id`);
  if (sort.column === 'id') return sql`${idRef} ${dir}`;
  return sql`${sql.ref(`${table}.${sort.column}`)} ${dir}, ${idRef} ${dir}`;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** A filter of a list, as SQL over the list's table. */
export type Condition = RawBuilder<SqlBool>;

/** Splits the extra row fetched to learn whether there is a next page off the rows to serve. */
export function cutPage<R>(rows: R[], limit: number): { kept: R[]; more: boolean } {
  const more = rows.length > limit;
  return { kept: more ? rows.slice(0, limit) : rows, more };
}

export interface KeysetList {
  /** The table whose id and sort column the keyset runs on. */
  table: keyof Database & string;
  sort: Sort;
  cursor: Cursor | null;
  limit: number;
  /** The list's filters: a row is listed when it meets all of them. */
  where?: readonly Condition[];
}

/**
 * One page of a keyset list: `query` selects the rows (with `id` and the sort column) of one tenant;
 * the filters, the cursor, the order and the look-ahead row are added here. `map` turns the kept rows
 * into what the page serves (it may load related rows for them in one query).
 * @example keysetPage(db.selectFrom('connections').selectAll().where('tenant_id', '=', t), { table: 'connections', sort, cursor, limit, where: equalities('connections', { status }) }, (rows) => rows.map(toConnection))
 */
export async function keysetPage<DB, TB extends keyof DB, O extends { id: string }, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  list: KeysetList,
  map: (rows: O[]) => T[] | Promise<T[]>,
): Promise<Page<T>> {
  const { table, sort, cursor, limit } = list;
  let q = query;
  for (const condition of list.where ?? []) q = q.where(condition);
  const after = afterCursor(table, sort, cursor);
  if (after) q = q.where(after);
  const rows = await q.orderBy(orderBy(table, sort)).limit(limit + 1).execute();
  const { kept, more } = cutPage(rows, limit);
  const last = kept.at(-1);
  const next_cursor = more && last ? encodeCursor({ s: sortKey(sort), id: last.id, v: sortValueOf(last, sort) }) : null;
  return { data: await map(kept), next_cursor };
}

function sortValueOf(row: { id: string }, sort: Sort): string | null {
  if (sort.column === 'id') return null;
  const v = (row as Record<string, unknown>)[sort.column];
  if (!(v instanceof Date)) throw new AppError('internal', `a list sorted by ${sort.column} did not select that column`);
  return v.toISOString();
}

/**
 * `table.column = value` for each filter given; a filter left undefined (or an empty string, as a query
 * string sends it) does not narrow the list.
 */
export function equalities<TB extends keyof Database & string>(
  table: TB,
  values: { [C in keyof Database[TB] & string]?: string | boolean | undefined },
): Condition[] {
  const out: Condition[] = [];
  for (const [column, value] of Object.entries(values)) {
    if (value === undefined || value === '') continue;
    out.push(sql<SqlBool>`${sql.ref(`${table}.${column}`)} = ${value}`);
  }
  return out;
}

export interface CommonFilters {
  connection_id?: string | undefined;
  channel?: string | undefined;
  created_from?: string | undefined;
  created_to?: string | undefined;
  updated_from?: string | undefined;
  updated_to?: string | undefined;
}

/**
 * The filters every synced list shares. `*_from` is inclusive, `*_to` exclusive. Times are parsed here
 * (a bare date is midnight UTC) and sent as instants: PostgreSQL would read a bare date in the session's
 * time zone, and refuses years it cannot represent (year 0) with an error instead of a 400.
 */
export function commonFilters(table: string, f: CommonFilters): Condition[] {
  const out: Condition[] = [];
  const ref = (c: string) => sql.ref(`${table}.${c}`);
  const at = (v: string) => new Date(v);
  if (f.connection_id) out.push(sql<SqlBool>`${ref('connection_id')} = ${f.connection_id}`);
  if (f.channel) out.push(sql<SqlBool>`${ref('channel')} = ${f.channel}`);
  if (f.created_from) out.push(sql<SqlBool>`${ref('created_at')} >= ${at(f.created_from)}`);
  if (f.created_to) out.push(sql<SqlBool>`${ref('created_at')} < ${at(f.created_to)}`);
  if (f.updated_from) out.push(sql<SqlBool>`${ref('updated_at')} >= ${at(f.updated_from)}`);
  if (f.updated_to) out.push(sql<SqlBool>`${ref('updated_at')} < ${at(f.updated_to)}`);
  return out;
}
