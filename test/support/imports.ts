// The import graph of src/, read statement by statement: every static import and
// export-from (type-only ones included, marked as such) and every dynamic `import('...')` of a relative
// module. Used by test/architecture.test.ts to hold the layering the core README describes.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ImportEdge {
  /** Importing file, relative to the repository root with forward slashes (`src/core/ports.ts`). */
  from: string;
  /** Imported file, same form. Only relative specifiers are resolved; packages are not edges. */
  to: string;
  /** True when the import is erased at run time (`import type`, or every named binding is `type`). */
  typeOnly: boolean;
  /** Names imported (empty for a namespace, side-effect or dynamic import). */
  names: string[];
}

export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const child = path.join(abs, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path.relative(root, child).split(path.sep).join('/'));
    }
  };
  walk(path.join(root, dir));
  return out.sort();
}

// TypeScript 7's package carries no JavaScript compiler API, so the statements are read with patterns
// anchored at the start of a line (a comment line starts with `//` or `*` and never matches). Every
// resolved specifier must name a file that exists, so a misread statement fails loudly.
const STATIC = /^(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/gm;
const BARE = /^import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function bindings(clause: string): { names: string[]; allTypes: boolean } {
  const braces = /\{([^}]*)\}/.exec(clause);
  const names: string[] = [];
  let allTypes = braces !== null;
  if (braces) {
    for (const raw of braces[1]!.split(',')) {
      const part = raw.trim();
      if (!part) continue;
      const isType = /^type\s+/.test(part);
      if (!isType) allTypes = false;
      names.push(part.replace(/^type\s+/, '').split(/\s+as\s+/)[0]!.trim());
    }
  }
  const outside = clause.replace(/\{[^}]*\}/, '').replace(/,/g, ' ').trim();
  if (outside) {
    allTypes = false; // a default or namespace binding is a value
    names.push(outside.startsWith('*') ? '*' : 'default');
  }
  if (names.length === 0) allTypes = false;
  return { names, allTypes };
}

export function importEdges(root: string, files: string[]): ImportEdge[] {
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const add = (spec: string, typeOnly: boolean, names: string[]): void => {
      if (!spec.startsWith('.')) return;
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      if (!known.has(to)) throw new Error(`${file} imports ${spec}, which is not a source file under the scanned folder`);
      edges.push({ from: file, to, typeOnly, names });
    };
    for (const m of text.matchAll(STATIC)) {
      const { names, allTypes } = bindings(m[3]!);
      add(m[4]!, m[2] !== undefined || allTypes, names);
    }
    for (const m of text.matchAll(BARE)) add(m[1]!, false, []);
    for (const m of text.matchAll(DYNAMIC)) {
      // `typeof import('./x.ts')` or `import('./x.ts').T` in a type position is erased; a call is not.
      const before = text.slice(Math.max(0, m.index - 8), m.index);
      add(m[1]!, /typeof\s*$/.test(before) || text[m.index + m[0].length] === '.', []);
    }
  }
  return edges;
}

/** Every strongly connected component with more than one file (or a file importing itself). */
export function cycles(files: string[], edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  // Tarjan's algorithm, iterative enough for a tree of a few hundred files.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return out;
}
