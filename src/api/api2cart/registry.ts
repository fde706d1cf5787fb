// The method registry of the API2Cart-compatible layer: method name -> parameter schema (built from the
// document's parameters: types, defaults, required, transport) and handler. Another module serves a
// method with one line:
//   a2cMethods.register('webhook.list', async (ctx, p) => ({ result: { ... } }));
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Connection } from '../../core/model/index.ts';
import type { ApiDeps } from '../deps.ts';
import { A2C, A2cError } from './codes.ts';
import type { MethodSpec, ParamSpec } from './spec.ts';
import { A2C_METHODS } from './spec.generated.ts';

export type Params = Record<string, unknown>;

export interface MethodContext {
  deps: ApiDeps;
  tenantId: string;
  /** The connection the store key names; null for account-level methods (no StoreKeyAuth). */
  connection: Connection | null;
  log: Logger;
  method: string;
}

/** What a handler answers: the `result`, and `pagination` for lists that page by cursor. */
export interface MethodOutput {
  result: unknown;
  pagination?: { previous: string | null; next: string | null } | null;
}

export type MethodHandler = (ctx: MethodContext, params: Params) => Promise<MethodOutput>;

export interface RegisteredMethod {
  name: string;
  spec: MethodSpec;
  schema: z.ZodType<Params>;
  handler: MethodHandler;
}

/** Most items a list hands out per call, as the document says for every `count`. */
export const MAX_COUNT = 250;

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off', '']);

function paramSchema(type: ParamSpec[1]): z.ZodType {
  switch (type) {
    case 'integer':
    case 'number': {
      const n = type === 'integer' ? z.number().int() : z.number();
      // Query values are strings; JSON clients also send numbers as strings.
      return z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), n);
    }
    case 'boolean':
      return z.preprocess((v) => {
        if (typeof v !== 'string') return v;
        const s = v.toLowerCase();
        return TRUE.has(s) ? true : FALSE.has(s) ? false : v;
      }, z.boolean());
    case 'array':
      // A query array comes as repeated keys or one comma-separated value.
      return z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter((s) => s !== '') : v), z.array(z.unknown()));
    case 'object':
      return z.record(z.string(), z.unknown());
    default:
      // Ids are strings in the document; clients often send them as numbers.
      return z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().max(65_535));
  }
}

/** The parameter schema of a method: unknown parameters are dropped, documented ones typed and defaulted. */
export function buildParamSchema(spec: MethodSpec): z.ZodType<Params> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, type, required, ...rest] of spec.params ?? []) {
    let s = paramSchema(type);
    if (name === 'count') s = paramSchema('integer').pipe(z.number().int().min(0));
    if (rest.length > 0 && rest[0] !== undefined && rest[0] !== null) s = s.optional().default(rest[0] as never);
    else if (!required) s = s.optional();
    shape[name] = s;
  }
  return z.object(shape) as unknown as z.ZodType<Params>;
}

export class MethodRegistry {
  readonly #methods = new Map<string, RegisteredMethod>();

  /** The document's method table: every name, including those no handler serves. */
  constructor(readonly specs: Readonly<Record<string, MethodSpec>> = A2C_METHODS) {}

  /** Serves `name` with `handler`; the method must be in the document. Registering twice is an error. */
  register(name: string, handler: MethodHandler): this {
    const spec = this.specs[name];
    if (!spec) throw new Error(`API2Cart method "${name}" is not in the document`);
    if (this.#methods.has(name)) throw new Error(`API2Cart method "${name}" is registered twice`);
    this.#methods.set(name, { name, spec, schema: buildParamSchema(spec), handler });
    return this;
  }

  get(name: string): RegisteredMethod | undefined {
    return this.#methods.get(name);
  }

  served(): string[] {
    return [...this.#methods.keys()].sort();
  }

  /** Parses parameters against the method's schema; a bad one answers the document's parameter error. */
  parse(method: RegisteredMethod, raw: Params): Params {
    const res = method.schema.safeParse(raw);
    if (!res.success) {
      const missing = res.error.issues.find((i) => i.path.length === 1 && raw[String(i.path[0])] === undefined);
      if (missing) throw new A2cError(A2C.REQUIRED_PARAMETER, `Required parameter '${String(missing.path[0])}' is not specified.`);
      const detail = res.error.issues.map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`).join('; ');
      throw new A2cError(A2C.INCORRECT_PARAMETERS, `Incorrect parameters for ${method.name}: ${detail}.`);
    }
    const count = res.data.count;
    if (typeof count === 'number' && count > MAX_COUNT) throw new A2cError(A2C.TOO_MANY_ITEMS, `Too many items requested: count is at most ${MAX_COUNT}.`);
    return res.data;
  }
}

/** The process-wide registry the /v1.1 routes serve from. */
export const a2cMethods = new MethodRegistry();
