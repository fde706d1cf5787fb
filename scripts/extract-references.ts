// Extracts what the simulators and tests need from the official references into committed, generated files
// under test/references/, so that a clone on its own (no shared/ folder beside it) tests and demos.
//   npm run references            (reads ../shared/specs, or SWITCHYARD_SPECS_DIR)
// - Adobe's admin REST schema and API2Cart's OpenAPI document: the structure (paths, parameters, schemas,
//   responses, security) with the prose left out (every string-valued `description` and `summary`);
// - Amazon's SP-API models and JSON schemas (Apache-2.0): the files whole, minified, with their LICENSE and NOTICE.
// Each output is gzip-compressed JSON (deterministic: zlib writes no timestamp), one document per file.
// test/references.test.ts runs the same extraction against ../shared/specs and fails on any drift.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the generated files live (committed). */
export const REFERENCES_DIR = join(root, 'test', 'references');
/** The official references beside the checkout, unless SWITCHYARD_SPECS_DIR names another folder. */
export function specsDir(): string {
  return process.env.SWITCHYARD_SPECS_DIR ? resolve(process.env.SWITCHYARD_SPECS_DIR) : resolve(root, '..', 'shared', 'specs');
}

/** Drops documentation prose: string-valued `description` / `summary` keys (a property *named* description is an object and stays). */
export function withoutProse(node: Json): Json {
  if (Array.isArray(node)) return node.map(withoutProse);
  if (node && typeof node === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'description' || k === 'summary') && typeof v === 'string') continue;
      out[k] = withoutProse(v);
    }
    return out;
  }
  return node;
}

function gz(doc: unknown): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(doc)), { level: 9 });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

/** Every generated file (name relative to test/references → bytes), made from the references in `specs`. */
export function extractReferences(specs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const magento = parse(readFileSync(join(specs, 'magento', 'admin-schema-2.4.8.yaml'), 'utf8')) as Json;
  out.set('magento-admin-schema-2.4.8.json.gz', gz(withoutProse(magento)));
  const a2c = JSON.parse(readFileSync(join(specs, 'api2cart', 'openapi.json'), 'utf8')) as Json;
  out.set('api2cart-openapi.json.gz', gz(withoutProse(a2c)));
  const amazonDir = join(specs, 'amazon-sp-api', 'models');
  const files: Record<string, Json> = {};
  for (const f of filesUnder(amazonDir)) files[relative(amazonDir, f).split('\\').join('/')] = JSON.parse(readFileSync(f, 'utf8')) as Json;
  out.set('amazon-sp-api-models.json.gz', gz(files));
  out.set('amazon-sp-api-LICENSE', readFileSync(join(specs, 'amazon-sp-api', 'LICENSE')));
  out.set('amazon-sp-api-NOTICE', readFileSync(join(specs, 'amazon-sp-api', 'NOTICE')));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const specs = process.argv[2] ? resolve(process.argv[2]) : specsDir();
  mkdirSync(REFERENCES_DIR, { recursive: true });
  for (const [name, bytes] of extractReferences(specs)) {
    writeFileSync(join(REFERENCES_DIR, name), bytes);
    console.log(`${name}: ${bytes.length} bytes`);
  }
}
