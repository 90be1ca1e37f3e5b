// Fail fast, with the fix, when the native build is missing.
import fs from 'node:fs';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
  for (const f of ['build/Release/sysstub.node', 'build/Release/stubcall', 'dist/cli.js']) {
    if (!fs.existsSync(path.join(root, f))) {
      throw new Error(`${f} is missing: run \`npm install\` (or \`npm run build\`) before \`npm test\``);
    }
  }
}
