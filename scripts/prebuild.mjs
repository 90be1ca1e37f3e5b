// Puts the addon just built (build/Release/sysstub.node) where node-gyp-build
// and lib/native.ts look for a prebuilt binary: prebuilds/linux-x64/
// node.napi.<libc>.node (N-API, so one binary serves every Node >= 20 of that
// libc). Run by "prepack", so the tarball `npm pack` makes installs without a
// compiler; stripped, as a shipped binary needs no symbols.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'build', 'Release', 'sysstub.node');
if (!fs.existsSync(built)) {
  process.stderr.write(`prebuild: ${path.relative(root, built)} is missing: run \`npm run build:native\` first\n`);
  process.exit(1);
}
// glibc unless this Node runs on musl (no glibc version in its report).
const report = process.report?.getReport();
const libc = report && !report.header?.glibcVersionRuntime ? 'musl' : 'glibc';
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const dest = path.join(dir, `node.napi.${libc}.node`);
fs.copyFileSync(built, dest);
try {
  execFileSync('strip', ['--strip-unneeded', dest]);
} catch {
  process.stderr.write('prebuild: strip not found; the binary keeps its symbols\n');
}
process.stdout.write(`prebuild: ${path.relative(root, dest)} (${fs.statSync(dest).size} bytes)\n`);
