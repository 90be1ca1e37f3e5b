// The CLI's startup snapshot (README "Routes and performance", Start-up; lib/snapshot.ts):
//   node scripts/snapshot.mjs --bundle   dist/snapshot.js and all it imports
//                                        -> dist/cli-bundle.cjs (rolldown; by
//                                        build:ts, so the package ships it)
//   node scripts/snapshot.mjs            dist/cli-bundle.cjs -> the snapshot
//                                        dist/cli-bundle.blob, for this node
//                                        (by build:ts, and at install)
// The blob holds V8's heap for one Node build, so it is made where sysstub is
// installed and never shipped. Beside it, dist/cli-bundle.blob.for names the
// node it was built by and the package directory; bin/sysstub.js uses the
// blob only when both still match and neither the node nor dist/cli.js is
// newer, and otherwise starts the CLI from its modules, as without one.
// Nothing here fails an install: without a snapshot sysstub works, slower.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'cli-bundle.cjs');
const blob = path.join(root, 'dist', 'cli-bundle.blob');
const say = (m) => process.stderr.write(`snapshot: ${m}\n`);

if (process.argv.includes('--bundle')) {
  let rolldown;
  try {
    ({ rolldown } = await import('rolldown'));
  } catch {
    say('rolldown is not installed (a dev dependency): no bundle, so no startup snapshot');
    process.exit(0);
  }
  const b = await rolldown({
    input: path.join(root, 'dist', 'snapshot.js'),
    platform: 'node',
    // Not sysstub's: loaded at run time, through lib/dynamic-import.ts.
    external: [/^node:/, '@swc/wasm-typescript'],
    logLevel: 'silent',
  });
  await b.write({ file: bundle, format: 'cjs', codeSplitting: false });
  await b.close();
}

for (const f of [blob, `${blob}.for`]) fs.rmSync(f, { force: true });
if (!fs.existsSync(bundle)) process.exit(0); // npm ci runs "install" before "prepare" builds dist/
if (!vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER) {
  say(`node ${process.version} cannot import() from a snapshot (needs >= 20.12): no startup snapshot`);
  process.exit(0);
}
const tmp = `${blob}.${process.pid}`;
try {
  // The builder warns about every built-in it has not vetted; they are used only after deserialization.
  execFileSync(process.execPath, ['--snapshot-blob', tmp, '--build-snapshot', bundle], { stdio: ['ignore', 'ignore', 'pipe'] });
  // A blob that does not load can crash node (a truncated one: SIGSEGV): try it before anyone uses it.
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const out = execFileSync(process.execPath, ['--snapshot-blob', tmp, '--', '--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (out.trim() !== version) throw new Error(`the snapshot printed ${JSON.stringify(out.trim())} for --version, not ${version}`);
  fs.renameSync(tmp, blob);
  fs.writeFileSync(`${blob}.for.${process.pid}`, `${fs.realpathSync(process.execPath)}\n${fs.realpathSync(root)}\n`);
  fs.renameSync(`${blob}.for.${process.pid}`, `${blob}.for`);
} catch (err) {
  fs.rmSync(tmp, { force: true });
  const e = /** @type {{ stderr?: Buffer | string, message: string }} */ (err);
  say(`not built (sysstub starts without it): ${String(e.stderr || e.message).trim().split('\n').slice(-3).join(' / ')}`);
}
