// The new call, from both ends: the C program natively (ENOSYS: the kernel
// has nothing at 500) and under the module, through the library and the CLI.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { test } from 'sysstub/vitest';
import hello from './hello.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-hello-'));
const prog = path.join(dir, 'hello');
let cc: string | undefined;

beforeAll(() => {
  for (const c of [process.env.CC, 'cc', 'gcc'].filter(Boolean) as string[]) {
    try {
      execFileSync(c, ['-O2', '-Wall', '-o', prog, path.join(here, 'hello.c')], { stdio: 'pipe' });
      cc = c;
      return;
    } catch {
      // try the next compiler
    }
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a new syscall at 500', () => {
  test('natively: ENOSYS, as for every unassigned number', ({ skip }) => {
    if (!cc) skip('needs a C compiler (cc or gcc) to build hello.c');
    expect(execFileSync(prog, { encoding: 'utf8' })).toBe('sysstub_hello: Function not implemented\nwith 4 bytes: Function not implemented\n');
  });

  test('under the module: the greeting, and ERANGE for a small buffer', async ({ run, skip }) => {
    if (!cc) skip('needs a C compiler (cc or gcc) to build hello.c');
    const r = await run([prog], { modules: [hello] });
    expect(r).toHaveExitedWith(0);
    expect(r.stdout).toMatch(/^sysstub_hello = \d+: hello, pid \d+, from sysstub\nwith 4 bytes: Numerical result out of range\n$/);
  });

  // The CLI runs as a child of its own (not under run(): a tracee cannot trace).
  test('from the CLI: sysstub run -m hello.ts', ({ skip }) => {
    if (!cc) skip('needs a C compiler (cc or gcc) to build hello.c');
    const cli = path.join(here, '..', '..', 'bin', 'sysstub.js');
    const out = execFileSync(process.execPath, [cli, 'run', '-m', path.join(here, 'hello.ts'), '--', prog], { encoding: 'utf8' });
    expect(out).toMatch(/^sysstub_hello = \d+: hello, pid \d+, from sysstub\n/);
  });
});
