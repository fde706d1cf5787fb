// A small SP-API client for the simulator's own tests: LWA exchange and calls with x-amz-access-token.
import type { AmazonSim } from './server.ts';

export interface SpResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export async function lwa(sim: AmazonSim, form: Record<string, string>): Promise<SpResponse<Record<string, unknown>>> {
  const res = await fetch(sim.lwaUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers, text };
}

export async function sellerToken(sim: AmazonSim): Promise<string> {
  const r = await lwa(sim, { grant_type: 'refresh_token', refresh_token: sim.credentials.refresh_token, client_id: sim.credentials.client_id, client_secret: sim.credentials.client_secret });
  if (r.status !== 200) throw new Error(`LWA ${r.status}: ${r.text}`);
  return String(r.body.access_token);
}

export async function grantlessToken(sim: AmazonSim, scope = 'sellingpartnerapi::notifications'): Promise<string> {
  const r = await lwa(sim, { grant_type: 'client_credentials', scope, client_id: sim.credentials.client_id, client_secret: sim.credentials.client_secret });
  if (r.status !== 200) throw new Error(`LWA ${r.status}: ${r.text}`);
  return String(r.body.access_token);
}

/** Calls an SP-API path on the simulator; `body` objects are sent as JSON. */
export async function sp<T = Record<string, unknown>>(
  sim: AmazonSim,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<SpResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers['x-amz-access-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(sim.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed as T, headers: res.headers, text };
}

export function qs(params: Record<string, string | number | boolean | string[] | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    u.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  return '?' + u.toString();
}
