// Fail fast, with the fix, when the native build is missing or older than its
// sources; rebuild a stale dist/ and startup snapshot (test/build-fresh.ts); probe the machine once
// for the whole run (test/machine.ts) and hand it to the tests.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { addonPath, staleAddon, staleDist, staleSnapshot } from './build-fresh.js';
import { describeMachine, detect } from './machine.js';

export default function setup(project: TestProject): void {
  const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
  // Incremental: builds only programs older than their sources (a no-op when none is).
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-fixtures.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const addonFile = addonPath(root);
  if (!fs.existsSync(addonFile)) {
    throw new Error(`${path.relative(root, addonFile)} is missing: run \`npm install\` (or \`npm run build:native\`) in this checkout before \`npm test\``);
  }
  const addon = staleAddon(root, addonFile);
  if (addon.length > 0) {
    throw new Error(`${path.relative(root, addonFile)} is older than ${addon.slice(0, 3).join(', ')}${addon.length > 3 ? ', ...' : ''}: run \`npm run build:native\` before \`npm test\``);
  }
  const dist = staleDist(root);
  if (dist.length > 0) {
    process.stdout.write(`dist/ is older than ${dist.length} file(s) of lib/ (${dist.slice(0, 3).join(', ')}${dist.length > 3 ? ', ...' : ''}): rebuilding it\n`);
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  }
  if (staleSnapshot(root)) {
    process.stdout.write('the startup snapshot is missing or older than dist/: rebuilding it\n');
    execFileSync(process.execPath, [path.join(root, 'scripts', 'snapshot.mjs'), '--bundle'], { stdio: 'inherit' });
  }
  const machine = detect();
  process.stdout.write(`${describeMachine(machine)}\n`);
  project.provide('machine', machine);
}
