// The installed package's own directory and package.json: the nearest
// directory above this code holding sysstub's package.json. The code runs
// from dist/ (tsc), dist/bundle/ (scripts/bundle.mjs: what the package's
// entry points load) or lib/ (the tests), so no fixed number of '..' fits.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): { root: string; version: string } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'sysstub') return { root: dir, version: String(pkg.version) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (path.dirname(dir) === dir) throw new Error(`sysstub: no package.json of sysstub above ${here}`);
  }
}

const found = find();
export const packageRoot: string = found.root;
export const packageVersion: string = found.version;
