#!/usr/bin/env node
// node bench/rss.js N: a fresh Node process supervises N sleeping tracees and
// prints its resident set size in MiB once they all run (for the memory row).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Supervisor, defineModule } = await import(path.join(root, 'dist', 'index.js'));

const n = Number(process.argv[2] ?? 1);
const sup = new Supervisor({ modules: [defineModule({ name: 'h', syscalls: { getpmsg: () => 42 } })] });
const routes = [];
sup.on('route', (r) => routes.push(r));
const children = [];
for (let i = 0; i < n; i++) children.push(sup.spawn('/bin/sleep', ['30'], { stdio: 'ignore' }));
// Every child has installed its filter and sent its listener home.
while (routes.length < n) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 200));
global.gc?.();
const rss = process.memoryUsage().rss / 2 ** 20;
for (const c of children) c.kill('SIGKILL');
await Promise.all(children.map((c) => c.exited));
await sup.close();
process.stdout.write(`${rss.toFixed(1)}\n`);
