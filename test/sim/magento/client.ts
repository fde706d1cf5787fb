// Small helpers for the simulator's own tests: requests with each auth style, and searchCriteria query strings.
import { oauthHeader } from './oauth.ts';
import type { MagentoSim } from './server.ts';

export type Auth = 'bearer' | 'oauth' | 'none' | { header: string };

export function authHeader(sim: MagentoSim, method: string, url: string, auth: Auth): Record<string, string> {
  if (auth === 'none') return {};
  if (auth === 'bearer') return { authorization: `Bearer ${sim.credentials.bearer}` };
  if (auth === 'oauth') return { authorization: oauthHeader(method, url, sim.credentials.oauth1) };
  return { authorization: auth.header };
}

export async function call<T = unknown>(sim: MagentoSim, method: string, path: string, body?: unknown, auth: Auth = 'bearer'): Promise<{ status: number; body: T }> {
  const url = sim.url + path;
  const res = await fetch(url, {
    method,
    headers: { ...authHeader(sim, method, url, auth), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* non-JSON bodies stay text */
  }
  return { status: res.status, body: parsed as T };
}

export interface Crit {
  groups?: [field: string, value: string, condition?: string][][];
  sort?: [field: string, dir: 'ASC' | 'DESC'][];
  pageSize?: number;
  currentPage?: number;
  snake?: boolean;
}

/** searchCriteria as a query string, camelCase (the schema's spelling) or snake_case. */
export function criteria(c: Crit): string {
  const fg = c.snake ? 'filter_groups' : 'filterGroups';
  const ct = c.snake ? 'condition_type' : 'conditionType';
  const so = c.snake ? 'sort_orders' : 'sortOrders';
  const parts: string[] = [];
  const add = (k: string, v: string | number) => parts.push(`${k}=${encodeURIComponent(String(v))}`);
  (c.groups ?? []).forEach((g, gi) =>
    g.forEach(([field, value, cond], fi) => {
      add(`searchCriteria[${fg}][${gi}][filters][${fi}][field]`, field);
      add(`searchCriteria[${fg}][${gi}][filters][${fi}][value]`, value);
      if (cond) add(`searchCriteria[${fg}][${gi}][filters][${fi}][${ct}]`, cond);
    }),
  );
  (c.sort ?? []).forEach(([field, dir], i) => {
    add(`searchCriteria[${so}][${i}][field]`, field);
    add(`searchCriteria[${so}][${i}][direction]`, dir);
  });
  if (c.pageSize !== undefined) add(`searchCriteria[${c.snake ? 'page_size' : 'pageSize'}]`, c.pageSize);
  if (c.currentPage !== undefined) add(`searchCriteria[${c.snake ? 'current_page' : 'currentPage'}]`, c.currentPage);
  return parts.length ? parts.join('&') : 'searchCriteria';
}
