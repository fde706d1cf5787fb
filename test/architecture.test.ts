// The layering src/core/README.md describes, read from the source: the import graph of src/ (type
// imports included) has no cycle, the core imports no surface and no adapter, and the store takes from
// the core at run time only its kernel. Each rule is also shown to catch a violation, so none passes
// because it looks at nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, importEdges, sourceFiles, type ImportEdge } from './support/imports.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = sourceFiles(root, 'src');
const edges = importEdges(root, files);

/**
 * The core's kernel: what every layer may use, and which itself imports nothing outside it. The model
 * (with the flows' configuration), the error type and ids.
 */
const KERNEL = /^src\/core\/(model\/[^/]+|errors|ids)\.ts$/;
const show = (e: ImportEdge) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''} [${e.names.join(', ')}]`;

function coreReachingOut(list: ImportEdge[]): string[] {
  return list.filter((e) => e.from.startsWith('src/core/') && /^src\/(adapters|api|graphql)\//.test(e.to)).map(show);
}

function storeTakingMore(list: ImportEdge[]): string[] {
  return list
    .filter((e) => e.from.startsWith('src/store/') && e.to.startsWith('src/core/'))
    .filter((e) => !KERNEL.test(e.to) && !(e.typeOnly && e.to === 'src/core/ports.ts'))
    .map(show);
}

describe('the import graph of src/', () => {
  it('is read whole: every source file is scanned and relative imports resolve to files', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(files.length);
    // Multi-line, type-only and mixed imports are all seen (engine.ts has each kind).
    const engine = edges.filter((e) => e.from === 'src/core/sync/engine.ts');
    expect(engine.some((e) => e.to === 'src/store/sync.ts' && !e.typeOnly)).toBe(true);
    expect(engine.some((e) => e.to === 'src/store/db.ts' && e.typeOnly)).toBe(true);
  });

  it('has no cycle, counting type imports', () => {
    expect(cycles(files, edges).map((c) => c.join(' <-> '))).toEqual([]);
    // The check finds one when there is one.
    const planted: ImportEdge = { from: 'src/core/sync/hooks.ts', to: 'src/core/sync/engine.ts', typeOnly: true, names: ['SyncEngine'] };
    expect(cycles(files, [...edges, planted]).flat()).toContain('src/core/sync/engine.ts');
  });

  it('keeps src/core free of src/adapters, src/api and src/graphql', () => {
    expect(coreReachingOut(edges)).toEqual([]);
    expect(coreReachingOut([{ from: 'src/core/ports.ts', to: 'src/adapters/registry.ts', typeOnly: true, names: ['x'] }])).toHaveLength(1);
  });

  it('lets src/store take from src/core only its kernel at run time (and the ports as types)', () => {
    expect(storeTakingMore(edges)).toEqual([]);
    expect(storeTakingMore([{ from: 'src/store/flows.ts', to: 'src/core/flows/model.ts', typeOnly: true, names: ['Link'] }])).toHaveLength(1);
    expect(storeTakingMore([{ from: 'src/store/x.ts', to: 'src/core/ports.ts', typeOnly: false, names: ['ENTITIES'] }])).toHaveLength(1);
  });

  it('keeps the kernel self-contained: model, errors and ids import nothing else of src/', () => {
    const out = edges.filter((e) => KERNEL.test(e.from) && !KERNEL.test(e.to)).map(show);
    expect(out).toEqual([]);
  });

  it('lets adapters use only the ports, the kernel and the SSRF check; a channel never imports another', () => {
    const allowed = /^src\/(core\/(ports|errors|net|ids|registry)\.ts|core\/model\/|adapters\/)/;
    const outward = edges.filter((e) => e.from.startsWith('src/adapters/') && !allowed.test(e.to)).map(show);
    expect(outward).toEqual([]);
    const channelOf = (f: string) => /^src\/adapters\/([^/]+)\//.exec(f)?.[1];
    const cross = edges.filter((e) => {
      const a = channelOf(e.from);
      const b = channelOf(e.to);
      return a !== undefined && b !== undefined && a !== b && b !== 'kit';
    });
    expect(cross.map(show)).toEqual([]);
    // The shared toolkit serves every channel and knows none.
    expect(edges.filter((e) => e.from.startsWith('src/adapters/kit/') && channelOf(e.to) !== undefined && channelOf(e.to) !== 'kit').map(show)).toEqual([]);
  });

  it('keeps the flows apart from the engine: they see it only through their host interface', () => {
    const intoEngine = edges.filter((e) => e.from.startsWith('src/core/flows/') && e.to === 'src/core/sync/engine.ts').map(show);
    expect(intoEngine).toEqual([]);
    const intoFlows = edges.filter((e) => e.from.startsWith('src/core/sync/') && e.to.startsWith('src/core/flows/')).map(show);
    expect(intoFlows).toEqual([]);
  });
});

/**
 * Words of each channel's own API: listing attribute names, request and header names, marketplace ids.
 * The channel's name itself is not vocabulary (docs and examples may name Magento or Amazon).
 */
const VOCABULARY: Record<string, RegExp[]> = {
  amazon: [
    /\bitem_name\b/, /\bparentage_level\b/, /\bvariation_theme\b/, /\bexternally_assigned_product_identifier\b/,
    /\bsupplier_declared_has_product_identifier_exemption\b/, /\bchild_parent_sku_relationship\b/, /\bmain_product_image_locator\b/,
    /\bproduct_description\b/, /x-amzn-/i, /\bAmazonOrderId\b/, /\bSellerSKU\b/, /\bATVPDKIKX0DER\b/, /\bA1PA6795UKMFR9\b/,
    /\bputListingsItem\b/, /\bgetOrders\b/, /\bfulfillmentChannelCode\b/, /\bsellingPartnerId\b/,
  ],
  magento: [
    /\bsearchCriteria\b/, /\bextension_attributes\b/, /\bcustom_attributes\b/, /\bconfigurable_product_options\b/,
    /\bsource_code\b/, /\bsource-items\b/, /\bstock_item\b/, /\bincrement_id\b/, /\/V1\//, /\bsalable_quantity\b/, /\bis_in_stock\b/,
  ],
};

function vocabularyOutOfPlace(paths: string[], read: (file: string) => string): string[] {
  const out: string[] = [];
  for (const file of paths) {
    const text = read(file);
    for (const [channel, words] of Object.entries(VOCABULARY)) {
      if (file.startsWith(`src/adapters/${channel}/`)) continue;
      for (const w of words) if (w.test(text)) out.push(`${file}: ${channel} word ${w.source}`);
    }
  }
  return out;
}

describe("each channel's vocabulary", () => {
  it('stays in src/adapters/<channel>/', () => {
    expect(vocabularyOutOfPlace(files, (f) => readFileSync(path.join(root, f), 'utf8'))).toEqual([]);
  });

  it('is found where it is (the check reads the files it names)', () => {
    const found = vocabularyOutOfPlace(['src/adapters/amazon/product-types.ts', 'src/adapters/magento/client.ts'], (f) => readFileSync(path.join(root, f), 'utf8'));
    expect(found).toEqual([]);
    // The same files judged as if they were elsewhere carry their channel's words.
    const moved = vocabularyOutOfPlace(['src/core/a.ts', 'src/core/b.ts'], (f) => readFileSync(path.join(root, f === 'src/core/a.ts' ? 'src/adapters/amazon/product-types.ts' : 'src/adapters/magento/client.ts'), 'utf8'));
    expect(moved.some((m) => m.includes('amazon word'))).toBe(true);
    expect(moved.some((m) => m.includes('magento word'))).toBe(true);
  });
});
