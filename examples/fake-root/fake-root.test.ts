// fake-root: the program sees root and the owners it set; the disk does not
// change. Compared with the real ids and the real file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { test } from 'sysstub/vitest';
import { fakeRoot } from './fake-root.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-fakeroot-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('fake root', () => {
  test('id says 0; chown succeeds; stat and ls show the new owner; the file keeps its real one', async ({ run }) => {
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, 'x');
    const real = fs.statSync(f);
    const script = `id -u; id -g; chown 1234:5678 ${f} && stat -c %u:%g ${f}; ls -n ${f} | cut -d' ' -f3,4; chgrp 42 ${f}; stat -c %u:%g ${f}`;
    const r = await run(['sh', '-c', script], { modules: [fakeRoot()], env: { ...process.env, LC_ALL: 'C' } });
    expect(r.stderr).toBe('');
    expect(r).toHaveExitedWith(0);
    expect(r.stdout).toBe('0\n0\n1234:5678\n1234 5678\n1234:42\n');
    const after = fs.statSync(f);
    expect({ uid: after.uid, gid: after.gid }).toEqual({ uid: real.uid, gid: real.gid });
  });

  test('relative paths and fds name the same file: chown via fchownat, stat via fstat', async ({ run }) => {
    const f = path.join(dir, 'g');
    fs.writeFileSync(f, 'y');
    // cd + a relative chown, then stat through an open fd (stat -L on /dev/stdin reads fd 0).
    const r = await run(['sh', '-c', `cd ${dir} && chown 77:88 g && stat -L -c %u:%g /dev/stdin < g`], { modules: [fakeRoot()] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('77:88\n');
  });
});
