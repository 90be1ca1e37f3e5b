// Builds the C programs the tests and the demo run (test/fixtures/*.c) into
// test/fixtures/build/<name>, in parallel, with -Werror. The repository's own
// step (npm run build:fixtures, run by `npm install` in a checkout through
// "prepare"): a user's install builds the addon only. Up-to-date programs
// (newer than their source and the headers) are kept.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'test', 'fixtures');
const out = path.join(src, 'build');
const cc = process.env.CC || 'cc';
const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread'];

fs.mkdirSync(out, { recursive: true });
const headers = [path.join(root, 'native', 'seccomp_compat.h'), ...fs.readdirSync(src).filter((f) => f.endsWith('.h')).map((f) => path.join(src, f))];
const newestHeader = Math.max(...headers.map((h) => fs.statSync(h).mtimeMs));
const jobs = fs
  .readdirSync(src)
  .filter((f) => f.endsWith('.c'))
  .map((f) => ({ c: path.join(src, f), exe: path.join(out, f.slice(0, -2)) }))
  .filter(({ c, exe }) => !fs.existsSync(exe) || fs.statSync(exe).mtimeMs < Math.max(fs.statSync(c).mtimeMs, newestHeader));

let failed = 0;
const queue = [...jobs];
async function worker() {
  for (let j = queue.shift(); j; j = queue.shift()) {
    try {
      await run(cc, [...flags, '-o', j.exe, j.c]);
    } catch (err) {
      failed++;
      process.stderr.write(`build-fixtures: ${path.relative(root, j.c)}:\n${err.stderr || err.message}\n`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(os.availableParallelism(), jobs.length) }, worker));
if (failed) {
  process.stderr.write(`build-fixtures: ${failed} of ${jobs.length} fixture(s) failed to build\n`);
  process.exit(1);
}
process.stdout.write(`build-fixtures: ${jobs.length} built, into ${path.relative(root, out)}/\n`);
