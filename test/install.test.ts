// The package installed without its addon (npm install --ignore-scripts on a
// machine the prebuilt binary does not fit, say): the CLI and the library say,
// in one line each, what to run (`npm rebuild sysstub` for a dependency), with
// no doubled prefix, no stack trace, and a documented exit code (125).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, runNative } from './helpers.js';

let app = '';
beforeAll(() => {
  // node_modules/sysstub with dist/, bin/ and package.json only, and the runtime dependencies beside it.
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-noaddon-'));
  const pkg = path.join(app, 'node_modules', 'sysstub');
  fs.mkdirSync(pkg, { recursive: true });
  for (const f of ['dist', 'bin', 'package.json']) fs.cpSync(path.join(root, f), path.join(pkg, f), { recursive: true });
  for (const dep of Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies)) {
    const at = path.join(app, 'node_modules', dep);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules', dep), at);
  }
});
afterAll(() => {
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

describe('installed without the native addon', () => {
  it('the CLI: one line naming `npm rebuild sysstub` and every path it tried; exit 125', async () => {
    const r = await runNative(process.execPath, [path.join(app, 'node_modules', 'sysstub', 'bin', 'sysstub.js'), 'run', '--', 'true'], { cwd: app });
    expect(r.exitCode).toBe(125);
    const [first, ...tried] = r.stderr.trimEnd().split('\n');
    expect(first).toBe('sysstub: the native addon could not be loaded: run `npm rebuild sysstub` (it needs a C++ compiler, make and python3); tried:');
    expect(tried.map((l) => l.trim())).toEqual([
      expect.stringMatching(/node_modules\/sysstub\/build\/Release\/sysstub\.node \(missing\)$/),
      expect.stringMatching(/node_modules\/sysstub\/build\/Debug\/sysstub\.node \(missing\)$/),
      expect.stringMatching(/node_modules\/sysstub\/prebuilds\/linux-x64\/node\.napi\.glibc\.node \(missing\)$/),
    ]);
    expect(r.stderr).not.toMatch(/sysstub: sysstub:|\n\s+at /);
  });

  it("the library: run() rejects with code 'ERR_SYSSTUB_ADDON' and the same advice", async () => {
    const script = "import('sysstub').then((m) => m.run(['true'])).then(() => console.log('ran'), (e) => console.log(e.code, e.message.split('\\n')[0]))";
    const r = await runNative(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
    expect(r.stdout).toBe('ERR_SYSSTUB_ADDON the native addon could not be loaded: run `npm rebuild sysstub` (it needs a C++ compiler, make and python3); tried:\n');
  });
});
