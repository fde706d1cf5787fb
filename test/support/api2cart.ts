// Calling /v1.1/<method>.json as an API2Cart client does, and checking each answer against API2Cart's own
// OpenAPI document (ajv, JSON Schema 2020-12): the method's 200-response schema.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { a2cMethods } from '../../src/api/api2cart/registry.ts';
import type { TestGateway } from './app.ts';
import { reference } from './references.ts';

/** API2Cart's document travels with the project (test/references/), so the schema checks always run. */
export const HAS_A2C_SPEC = true;

export type Envelope = { return_code: number; return_message: string; result: Record<string, unknown>; pagination: { next: string | null } | null };

export interface CallOptions {
  verb?: string;
  /** The API key (default tenant a's); null sends none. */
  key?: string | null;
  /** The store key (default the client's); null sends none. */
  store?: string | null;
  /** Parameters in a JSON body (default: where the document puts them). */
  body?: boolean;
}

let ajv: Ajv2020 | null = null;

/** The validator of a method's 200 response in the document, compiled once per process. */
export function a2cResponseValidator(method: string): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(reference<object>('api2cart-openapi'), 'a2c');
  }
  const path = `/${method}.json`;
  const doc = ajv.getSchema('a2c')!.schema as { paths: Record<string, Record<string, unknown>> };
  const verb = Object.keys(doc.paths[path]!)[0]!;
  const pointer = `a2c#/paths/${path.replace(/\//g, '~1')}/${verb}/responses/200/content/application~1json/schema`;
  return ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
}

export interface A2cClient {
  /** Calls a method; expects HTTP 200 and returns the envelope. */
  call(method: string, params?: Record<string, unknown>, opts?: CallOptions): Promise<Envelope>;
  /** Calls a method, checks its response against the document (when present), and returns it. */
  checked(method: string, params?: Record<string, unknown>, opts?: CallOptions): Promise<Envelope>;
}

/** A client of the gateway's /v1.1 as tenant a; gateway and default store key are read at each call. */
export function a2cClient(gateway: () => TestGateway, storeKey: () => string): A2cClient {
  async function call(method: string, params: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<Envelope> {
    const gw = gateway();
    const verb = opts.verb ?? a2cMethods.specs[method]?.verbs[0] ?? 'GET';
    const headers: Record<string, string> = {};
    if (opts.key !== null) headers['x-api-key'] = opts.key ?? gw.a.key;
    if (opts.store !== null) headers['x-store-key'] = opts.store ?? storeKey();
    const inBody = opts.body ?? a2cMethods.specs[method]?.transport === 'body';
    const qs = inBody ? '' : new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
    const res = await gw.app.request(`/v1.1/${method}.json${qs ? `?${qs}` : ''}`, {
      method: verb,
      headers: inBody ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(inBody ? { body: JSON.stringify(params) } : {}),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Envelope;
  }
  async function checked(method: string, params: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<Envelope> {
    const body = await call(method, params, opts);
    if (!HAS_A2C_SPEC) return body;
    const validate = a2cResponseValidator(method);
    const ok = validate(body);
    expect(ok ? null : { method, params, errors: validate.errors?.slice(0, 5) }).toBeNull();
    return body;
  }
  return { call, checked };
}
