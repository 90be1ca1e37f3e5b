// The suite tests what was just built: dist/ (which bin/sysstub.js runs) and
// the addon must be newer than their sources, or the CLI tests would pass or
// fail on yesterday's code. global-setup.ts rebuilds a stale dist/ (tsc takes
// seconds) and refuses a stale addon (node-gyp goes through npm).
import fs from 'node:fs';
import path from 'node:path';

function files(dir: string, ext: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext)).map((f) => path.join(dir, f));
}

const mtime = (f: string): number => fs.statSync(f).mtimeMs;

/** lib/ sources whose dist/ output is missing or older than they are (paths relative to root). */
export function staleDist(root: string): string[] {
  const lib = path.join(root, 'lib');
  return files(lib, '.ts')
    .filter((src) => !src.endsWith('.d.ts'))
    .filter((src) => {
      const out = path.join(root, 'dist', path.relative(lib, src).replace(/\.ts$/, '.js'));
      return !fs.existsSync(out) || mtime(out) < mtime(src);
    })
    .map((src) => path.relative(root, src));
}

/**
 * The CLI's startup snapshot (scripts/snapshot.mjs) is missing or older than
 * dist/: bin/sysstub.js would then start without it, and the suite would not
 * test the path users take.
 */
export function staleSnapshot(root: string): boolean {
  const blob = path.join(root, 'dist', 'cli-bundle.blob');
  if (!fs.existsSync(blob)) return true;
  const built = mtime(blob);
  return files(path.join(root, 'dist'), '.js').some((f) => mtime(f) > built);
}

/** The addon the suite loads: $SYSSTUB_ADDON (the sanitizer build), else build/Release's. */
export function addonPath(root: string): string {
  return process.env.SYSSTUB_ADDON ? path.resolve(process.env.SYSSTUB_ADDON) : path.join(root, 'build', 'Release', 'sysstub.node');
}

/** native/ sources newer than the addon built from them (all of them when it is missing). */
export function staleAddon(root: string, addon = path.join(root, 'build', 'Release', 'sysstub.node')): string[] {
  const sources = [...files(path.join(root, 'native'), '.cc'), ...files(path.join(root, 'native'), '.h'), path.join(root, 'binding.gyp')];
  const built = fs.existsSync(addon) ? mtime(addon) : -Infinity;
  return sources.filter((s) => mtime(s) > built).map((s) => path.relative(root, s));
}
