// The suite runs what was just built (test/build-fresh.ts, global-setup.ts):
// a dist/ or an addon older than its sources is found, and after the global
// setup nothing in this checkout is.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addonPath, staleAddon, staleDist } from './build-fresh.js';
import { root } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A tree with the given files, each at the given mtime (seconds since the epoch). */
function tree(files: Record<string, number>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-fresh-'));
  dirs.push(d);
  for (const [f, t] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
    fs.writeFileSync(path.join(d, f), '');
    fs.utimesSync(path.join(d, f), t, t);
  }
  return d;
}

describe('stale build outputs', () => {
  it('a lib/ source newer than its dist/ output, or without one, is stale', () => {
    const d = tree({ 'lib/a.ts': 200, 'dist/a.js': 100, 'lib/sub/b.ts': 100, 'dist/sub/b.js': 200, 'lib/c.ts': 100 });
    expect(staleDist(d).sort()).toEqual(['lib/a.ts', 'lib/c.ts']);
  });

  it('a native/ source or binding.gyp newer than the addon is stale; a missing addon is older than everything', () => {
    const d = tree({ 'native/x.cc': 100, 'native/y.h': 300, 'binding.gyp': 100, 'build/Release/sysstub.node': 200 });
    expect(staleAddon(d)).toEqual(['native/y.h']);
    fs.rmSync(path.join(d, 'build'), { recursive: true });
    expect(staleAddon(d).sort()).toEqual(['binding.gyp', 'native/x.cc', 'native/y.h']);
  });

  it('this checkout: the global setup left nothing stale, so the CLI tests run the current lib/', () => {
    expect(staleDist(root)).toEqual([]);
    expect(staleAddon(root, addonPath(root))).toEqual([]);
  });
});
