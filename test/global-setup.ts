// Fail fast, with the fix, when the native build is missing; probe the
// machine once for the whole run (test/machine.ts) and hand it to the tests.
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { describeMachine, detect } from './machine.js';

export default function setup(project: TestProject): void {
  const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
  for (const f of ['build/Release/sysstub.node', 'build/Release/stubcall', 'build/Release/probe', 'dist/cli.js']) {
    if (!fs.existsSync(path.join(root, f))) {
      throw new Error(`${f} is missing: run \`npm install\` (or \`npm run build\`) before \`npm test\``);
    }
  }
  const machine = detect();
  process.stdout.write(`${describeMachine(machine)}\n`);
  project.provide('machine', machine);
}
