// The generated references (test/references/) against the official documents in ../shared/specs: the same
// extraction run again must give the committed bytes. A clone without that folder has nothing to compare with.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { extractReferences, REFERENCES_DIR, specsDir } from '../scripts/extract-references.ts';

const specs = specsDir();
const present = existsSync(join(specs, 'api2cart', 'openapi.json'));

test.skipIf(!present)('generated references match ../shared/specs (skipped only when that folder is absent: nothing to compare with)', () => {
  const drift: string[] = [];
  for (const [name, bytes] of extractReferences(specs)) {
    const file = join(REFERENCES_DIR, name);
    if (!existsSync(file) || !readFileSync(file).equals(bytes)) drift.push(name);
  }
  expect(drift, 'regenerate with npm run references').toEqual([]);
});
