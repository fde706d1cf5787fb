// The official admin REST schema (Swagger 2.0, Adobe's admin-schema-2.4.8.yaml, as extracted into test/references/) loaded once per
// process: the path templates requests are matched against, and an ajv validator per operation's 200 response.
// Two documented relaxations of the generated schema, where it disagrees with what Magento actually sends:
// - error-parameters: Magento sends `parameters` as a list of strings (%1 placeholders) or an object
//   ({ "fieldName": "sku" }), never the list of objects the generator wrote;
// - stock item low_stock_date: null unless the item went below its notify quantity; order payment account_status
//   and cc_last4: null for offline methods (all three are "required" only because the docblocks say so).
import { Ajv, type ValidateFunction } from 'ajv';
import { reference } from '../../support/references.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface SwaggerOp {
  parameters?: { name: string; in: string; schema?: Json }[];
  responses?: Record<string, { schema?: Json }>;
}
interface SwaggerDoc {
  paths: Record<string, Record<string, SwaggerOp>>;
  definitions: Record<string, Json>;
}

export interface RouteTemplate {
  method: string;
  template: string;
  segments: string[];
}

export interface MagentoSchema {
  doc: SwaggerDoc;
  loadMs: number;
  /** The schema template (e.g. `/V1/products/{sku}`) for a method and raw path (`/V1/products/ABC%2F1`). */
  match(method: string, rawPath: string): { template: string; params: Record<string, string> } | null;
  hasOperation(method: string, template: string): boolean;
  /** Validation errors of a 200 body against the operation's response schema ([] when valid). */
  validateResponse(method: string, template: string, body: unknown): string[];
  /** Type errors of a request body (the schema's `required` lists are docblock artefacts and ignored). */
  validateRequest(method: string, template: string, body: unknown): string[];
  /** Errors of an error body against `error-response`. */
  validateError(body: unknown): string[];
}

let cached: MagentoSchema | null = null;

function rewriteRefs(node: Json, prefix: string): Json {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, prefix));
  if (node && typeof node === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/') ? prefix + v : rewriteRefs(v, prefix);
    }
    return out;
  }
  return node;
}

function stripRequired(node: Json): Json {
  if (Array.isArray(node)) return node.map(stripRequired);
  if (node && typeof node === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) if (!(k === 'required' && Array.isArray(v))) out[k] = stripRequired(v);
    return out;
  }
  return node;
}

function relax(definitions: Record<string, Json>): Record<string, Json> {
  const defs = { ...definitions };
  defs['error-parameters'] = {
    anyOf: [{ type: 'array', items: { anyOf: [{ type: 'string' }, { $ref: '#/definitions/error-parameters-item' }] } }, { type: 'object', additionalProperties: { type: 'string' } }],
  };
  const stock = structuredClone(defs['catalog-inventory-data-stock-item-interface']) as { properties: Record<string, Json> };
  stock.properties.low_stock_date = { type: ['string', 'null'] };
  defs['catalog-inventory-data-stock-item-interface'] = stock as unknown as Json;
  const payment = structuredClone(defs['sales-data-order-payment-interface']) as { properties: Record<string, Json> };
  payment.properties.account_status = { type: ['string', 'null'] };
  payment.properties.cc_last4 = { type: ['string', 'null'] };
  defs['sales-data-order-payment-interface'] = payment as unknown as Json;
  return defs;
}

/** Loads (first call only; ~0.5 s for the 1 MB YAML) and compiles lazily per operation. */
export function loadMagentoSchema(): MagentoSchema {
  if (cached) return cached;
  const t0 = performance.now();
  const doc = readDoc();
  const loadMs = performance.now() - t0;
  const definitions = relax(doc.definitions);
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
  ajv.addSchema({ $id: 'magento', definitions } as object);
  let ajvReq: Ajv | null = null;
  const requestAjv = () => {
    if (!ajvReq) {
      ajvReq = new Ajv({ strict: false, allErrors: false, validateFormats: false });
      ajvReq.addSchema({ $id: 'magento', definitions: stripRequired(definitions as unknown as Json) } as object);
    }
    return ajvReq;
  };

  const templates: RouteTemplate[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) templates.push({ method: method.toUpperCase(), template, segments: template.split('/').slice(1) });
  }
  const byMethod = new Map<string, RouteTemplate[]>();
  for (const t of templates) {
    const list = byMethod.get(t.method) ?? [];
    list.push(t);
    byMethod.set(t.method, list);
  }
  const opSet = new Set(templates.map((t) => `${t.method} ${t.template}`));

  const match = (method: string, rawPath: string) => {
    const segs = rawPath.split('/').slice(1);
    const trimmed = segs.length > 1 && segs[segs.length - 1] === '' ? segs.slice(0, -1) : segs;
    let best: { t: RouteTemplate; params: Record<string, string>; score: number[] } | null = null;
    for (const t of byMethod.get(method.toUpperCase()) ?? []) {
      const ts = t.segments.length > 1 && t.segments[t.segments.length - 1] === '' ? t.segments.slice(0, -1) : t.segments;
      if (ts.length !== trimmed.length) continue;
      const params: Record<string, string> = {};
      const score: number[] = [];
      let ok = true;
      for (let i = 0; i < ts.length; i++) {
        const s = ts[i]!;
        if (s.startsWith('{') && s.endsWith('}')) {
          if (trimmed[i] === '') { ok = false; break; }
          try { params[s.slice(1, -1)] = decodeURIComponent(trimmed[i]!); } catch { ok = false; break; }
          score.push(0);
        } else if (s === trimmed[i]) score.push(1);
        else { ok = false; break; }
      }
      if (!ok) continue;
      if (!best || compareScore(score, best.score) > 0) best = { t, params, score };
    }
    return best ? { template: best.t.template, params: best.params } : null;
  };

  const validators = new Map<string, ValidateFunction | null>();
  const compile = (instance: Ajv, key: string, schema: Json | undefined): ValidateFunction | null => {
    if (validators.has(key)) return validators.get(key)!;
    const v = schema === undefined ? null : instance.compile(rewriteRefs(schema, 'magento') as object);
    validators.set(key, v);
    return v;
  };
  const fmt = (v: ValidateFunction) => (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);

  cached = {
    doc,
    loadMs,
    match,
    hasOperation: (method, template) => opSet.has(`${method.toUpperCase()} ${template}`),
    validateResponse(method, template, body) {
      const op = doc.paths[template]?.[method.toLowerCase()];
      if (!op) return [`no operation ${method} ${template}`];
      const v = compile(ajv, `res ${method} ${template}`, op.responses?.['200']?.schema);
      // void service methods answer `[]`
      if (!v) return body === undefined || body === null || (Array.isArray(body) && body.length === 0) ? [] : ['response has a body but the schema declares none'];
      return v(body) ? [] : fmt(v);
    },
    validateError(body) {
      const v = compile(ajv, 'error-response', { $ref: '#/definitions/error-response' });
      return v && !v(body) ? fmt(v) : [];
    },
    validateRequest(method, template, body) {
      const op = doc.paths[template]?.[method.toLowerCase()];
      const param = op?.parameters?.find((p) => p.in === 'body');
      if (!param?.schema) return [];
      const v = compile(requestAjv(), `req ${method} ${template}`, stripRequired(param.schema));
      if (!v) return [];
      return v(body) ? [] : fmt(v);
    },
  };
  return cached;
}

/** The parsed document (scripts/extract-references.ts made it from Adobe's YAML; prose left out). */
function readDoc(): SwaggerDoc {
  return reference<SwaggerDoc>('magento-admin-schema-2.4.8');
}

function compareScore(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
