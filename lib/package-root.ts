// The installed package's own directory and version: one level above this
// code, which runs from dist/ (tsc's output) or lib/ (the tests).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const packageVersion: string = (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
