// Helpers the method handlers share: the connection in scope, date filters, start/count and page_cursor
// paging over the store's keyset lists, and stock levels for products.
import type { InventoryLevel } from '../../../core/model/index.ts';
import type { Connection } from '../../../core/model/index.ts';
import { toInventoryLevel, inventoryForSkus } from '../../../store/inventory.ts';
import { decodeCursor, type CommonFilters, type Cursor, type Page, type Sort } from '../../../store/paging.ts';
import type { Db } from '../../../store/db.ts';
import { A2C, A2cError } from '../codes.ts';
import type { MethodContext, Params } from '../registry.ts';

/** Lists page by id: API2Cart's default order, and our ids are time-ordered. */
export const BY_ID: Sort = { column: 'id', desc: false };

export function connectionOf(ctx: MethodContext): Connection {
  if (!ctx.connection) throw new A2cError(A2C.REQUIRED_PARAMETER, 'Store key is not specified.');
  return ctx.connection;
}

/** "2010-07-29 13:45:52" (UTC, as API2Cart writes them), a bare date, or ISO 8601. */
export function parseA2cDate(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const s = String(value).trim();
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?))?$/.exec(s);
  const iso = m ? `${m[1]}T${m[2] ?? '00:00:00'}Z` : s;
  const t = Date.parse(iso);
  const year = Number(iso.slice(0, 4));
  if (!Number.isFinite(t) || !(year >= 1 && year <= 9999)) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: ${name} "${s.slice(0, 40)}" is not a date such as 2026-01-31 13:45:52.`);
  return new Date(t).toISOString();
}

/** The connection scope and the created/modified date filters, as the store's list filters. */
export function scopeFilters(ctx: MethodContext, p: Params): CommonFilters {
  return {
    connection_id: connectionOf(ctx).id,
    created_from: parseA2cDate('created_from', p.created_from),
    created_to: parseA2cDate('created_to', p.created_to),
    updated_from: parseA2cDate('modified_from', p.modified_from),
    updated_to: parseA2cDate('modified_to', p.modified_to),
  };
}

export type Fetch<T> = (cursor: Cursor | null, limit: number) => Promise<Page<T>>;

const CHUNK = 250;

/**
 * One page by `page_cursor` (a cursor this layer issued in pagination.next) or by `start`/`count`.
 * `start` walks the keyset list in chunks, so a deep start costs its depth, as an offset would.
 */
export async function pageOf<T>(p: Params, fetch: Fetch<T>, sort: Sort = BY_ID): Promise<{ items: T[]; next: string | null }> {
  const count = typeof p.count === 'number' ? p.count : 10;
  if (typeof p.page_cursor === 'string' && p.page_cursor !== '') {
    let cursor: Cursor;
    try {
      cursor = decodeCursor(p.page_cursor, sort);
    } catch {
      throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: page_cursor is not a cursor this list issued.');
    }
    if (count === 0) return { items: [], next: p.page_cursor };
    const page = await fetch(cursor, count);
    return { items: page.data, next: page.next_cursor };
  }
  let skip = typeof p.start === 'number' ? Math.max(0, p.start) : 0;
  let cursor: Cursor | null = null;
  while (skip > 0) {
    const page = await fetch(cursor, Math.min(CHUNK, skip));
    skip -= page.data.length;
    if (!page.next_cursor) return { items: [], next: null };
    cursor = decodeCursor(page.next_cursor, sort);
  }
  if (count === 0) return { items: [], next: null };
  const page = await fetch(cursor, count);
  return { items: page.data, next: page.next_cursor };
}

export function pagination(next: string | null): { previous: null; next: string | null } {
  return { previous: null, next };
}

/** Stock levels of the connection for these SKUs, grouped by SKU. */
export async function levelsBySku(db: Db, tenantId: string, connectionId: string, skus: readonly string[]): Promise<Map<string, InventoryLevel[]>> {
  const out = new Map<string, InventoryLevel[]>();
  for (const row of await inventoryForSkus(db, tenantId, [...new Set(skus)])) {
    if (row.connection_id !== connectionId) continue;
    const level = toInventoryLevel(row);
    const list = out.get(level.sku);
    if (list) list.push(level);
    else out.set(level.sku, [level]);
  }
  return out;
}

/** A required id parameter, or the document's "required parameter" code. */
export function requireParam(p: Params, name: string): string {
  const v = p[name];
  if (typeof v !== 'string' || v === '') throw new A2cError(A2C.REQUIRED_PARAMETER, `Required parameter '${name}' is not specified.`);
  return v;
}

export function notFoundIn(what: string, id: string): A2cError {
  return new A2cError(A2C.NOT_FOUND, `${what} ${id.slice(0, 100)} not found.`);
}

const SORT_FIELDS: Record<string, Sort['column']> = {
  id: 'id',
  order_id: 'id',
  create_at: 'created_at',
  created_at: 'created_at',
  created_time: 'created_at',
  date_add: 'created_at',
  modified_at: 'updated_at',
  modified_time: 'updated_at',
  updated_at: 'updated_at',
  date_modified: 'updated_at',
};

/** sort_by and sort_direction as a store sort: by id (creation order), creation or modification time. */
export function sortOf(p: Params): Sort {
  const by = typeof p.sort_by === 'string' ? p.sort_by : 'id';
  const column = SORT_FIELDS[by];
  if (!column) throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters: sort_by "${by.slice(0, 40)}" is not one of ${Object.keys(SORT_FIELDS).join(', ')}.`);
  const dir = typeof p.sort_direction === 'string' ? p.sort_direction.toLowerCase() : 'asc';
  if (dir !== 'asc' && dir !== 'desc') throw new A2cError(A2C.INCORRECT_PARAMETERS, 'Incorrect parameters: sort_direction is asc or desc.');
  return { column, desc: dir === 'desc' };
}

/** A comma-separated list parameter. */
export function listParam(p: Params, name: string): string[] {
  const v = p[name];
  if (Array.isArray(v)) return v.map(String).filter(Boolean);
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}
