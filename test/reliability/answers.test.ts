// Reliability: the answer a program gets is exactly the one decided.
//  - a slot's module loaded and unloaded while 3 threads hammer it: every
//    answer is the module's (1) or the empty slot's ENOSYS, never a torn mix
//    (38, 0, ...), on both routes;
//  - 64-bit constant values (plain and counted) arrive bit for bit, both routes;
//  - a module's slot stays its own when an unrelated -e inject rule is given.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor, faults, run, type Module } from '../../lib/index.js';
import { asText, fixture, ROUTES, runCliRaw } from '../helpers.js';

const ENOSYS_RAW = -38;

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-answers-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Run the CLI with a 30 s kill timer; its output as text, its status, hung. */
const runCliProc = async (args: string[]) => asText(await runCliRaw(args, { killMs: 30_000 }));

describe('loading and unloading a constant module while threads call its slot', () => {
  const one: Module = { name: 'one', syscalls: { 400: { value: 1 } } } as unknown as Module;

  for (const route of ROUTES) {
    it(`route ${route}: every answer is 1 (loaded) or -38 ENOSYS (empty), nothing else`, async () => {
      const sup = new Supervisor({ stubs: [400], route });
      let cycles = 0;
      try {
        const child = sup.spawn(fixture('torn_route'), ['30000'], { stdio: 'pipe' });
        let out = '';
        let err = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.stdin!.on('error', () => {});
        child.stdin!.end();
        let done = false;
        let hung = false;
        const timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, 90_000);
        const closed = child.closed.finally(() => {
          done = true;
          clearTimeout(timer);
        });
        // Wait for "ready", then flip the slot as fast as the event loop allows.
        while (!done && !out.includes('ready\n')) await new Promise((r) => setTimeout(r, 5));
        while (!done) {
          sup.load(one);
          await new Promise((r) => setImmediate(r));
          await sup.unload('one');
          await new Promise((r) => setImmediate(r));
          cycles++;
        }
        const r = await closed;
        expect(hung, `torn_route hung (killed after 90 s); stdout=${out} stderr=${err}`).toBe(false);
        expect({ exitCode: r.exitCode, signal: r.signal }, err).toEqual({ exitCode: 0, signal: null });
        const lines = out.split('\n').filter((l) => l !== '' && l !== 'ready');
        expect(lines.at(-1)).toBe('total 90000');
        const counts = new Map(lines.slice(0, -1).map((l) => l.split(' ').map(Number) as [number, number]));
        const unexpected = [...counts.entries()].filter(([v]) => v !== 1 && v !== ENOSYS_RAW);
        expect(unexpected, `answers other than 1 / -38 (value, count) after ${cycles} load/unload cycles:\n${out}`).toEqual([]);
        // Both states were actually seen (the test flipped the slot while the calls ran).
        expect(cycles).toBeGreaterThan(0);
        expect({ loaded: counts.has(1), empty: counts.has(ENOSYS_RAW) }, out).toEqual({ loaded: true, empty: true });
      } finally {
        await sup.close();
      }
    }, 120_000);
  }
});

describe('64-bit constant values arrive exactly', () => {
  for (const route of ROUTES) {
    it(`route ${route}: { value: 0x123456789abcdef1n } on slot 400`, async () => {
      const mod = { name: 'big', syscalls: { 400: { value: 0x123456789abcdef1n } } } as unknown as Module;
      const r = await run([fixture('raw_calls'), '400', '2'], { modules: [mod], stubs: [400], route, timeout: 20_000 });
      expect(r.timedOut).toBe(false);
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
      expect(r.stdout).toBe('ret=0x123456789abcdef1\nret=0x123456789abcdef1\n');
    });

    it(`route ${route}: counted constant { value: 0x7ffffffffffffff0n, when: '2' }`, async () => {
      const mod = { name: 'big2', syscalls: { 400: { value: 0x7ffffffffffffff0n, when: '2' } } } as unknown as Module;
      const r = await run([fixture('raw_calls'), '400', '3'], { modules: [mod], stubs: [400], route, timeout: 20_000 });
      expect(r.timedOut).toBe(false);
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
      expect(r.stdout).toBe('ret=-1 ENOSYS\nret=0x7ffffffffffffff0\nret=-1 ENOSYS\n');
    });

    it(`route ${route}: a counted constant over a handler: the calls it lets pass reach the handler`, async () => {
      // Regression: the native counted rule answered the others ENOSYS (a stub
      // slot's bottom) instead of sending them down to the handler below.
      const below = { name: 'below', syscalls: { 400: () => 7 } } as unknown as Module;
      const top = { name: 'top', syscalls: { 400: { errno: 'EPERM', when: '2..3' } } } as unknown as Module;
      const r = await run([fixture('raw_calls'), '400', '4'], { modules: [below, top], stubs: [400], route, timeout: 20_000 });
      expect(r.timedOut).toBe(false);
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
      expect(r.stdout).toBe('ret=0x7\nret=-1 EPERM\nret=-1 EPERM\nret=0x7\n');
    });

    it(`route ${route}: faults({ 400: { retval: 0x7ffffffffffffff0n, when: '2' } })`, async () => {
      const r = await run([fixture('raw_calls'), '400', '3'], {
        modules: [faults({ '400': { retval: 0x7ffffffffffffff0n, when: '2' } })],
        stubs: [400],
        route,
        timeout: 20_000,
      });
      expect(r.timedOut).toBe(false);
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
      expect(r.stdout).toBe('ret=-1 ENOSYS\nret=0x7ffffffffffffff0\nret=-1 ENOSYS\n');
    });

    it(`route ${route}: CLI -e inject=400:retval=0x7ffffffffffffff0:when=2`, async () => {
      const args = ['run', '--route', route, '--stub', '400', '-e', `inject=400:retval=${0x7ffffffffffffff0n}:when=2`, '--', fixture('raw_calls'), '400', '3'];
      const r = await runCliProc(args);
      expect(r.hung).toBe(false);
      expect({ exitCode: r.exitCode, signal: r.signal, stderr: r.stderr }).toEqual({ exitCode: 0, signal: null, stderr: '' });
      expect(r.stdout).toBe('ret=-1 ENOSYS\nret=0x7ffffffffffffff0\nret=-1 ENOSYS\n');
    });

    it(`route ${route}: CLI -e inject=400:retval=0x123456789abcdef1`, async () => {
      const args = ['run', '--route', route, '--stub', '400', '-e', `inject=400:retval=${0x123456789abcdef1n}`, '--', fixture('raw_calls'), '400', '2'];
      const r = await runCliProc(args);
      expect(r.hung).toBe(false);
      expect({ exitCode: r.exitCode, signal: r.signal, stderr: r.stderr }).toEqual({ exitCode: 0, signal: null, stderr: '' });
      expect(r.stdout).toBe('ret=0x123456789abcdef1\nret=0x123456789abcdef1\n');
    });
  }
});

describe('a module slot with an unrelated -e inject rule', () => {
  it('sysstub run -m <400 module> -e inject=sendmsg:error=EPERM --stub 400: the module answers, not ENOSYS', async () => {
    const mod = path.join(tmp, 'answer400.mjs');
    fs.writeFileSync(mod, "export default { name: 'answer400', syscalls: { 400() { return 42; } } };\n");
    const without = await runCliProc(['run', '-m', mod, '--stub', '400', '--', fixture('raw_calls'), '400', '1']);
    expect({ exitCode: without.exitCode, stdout: without.stdout, stderr: without.stderr }).toEqual({ exitCode: 0, stdout: 'ret=0x2a\n', stderr: '' });
    const r = await runCliProc(['run', '-m', mod, '-e', 'inject=sendmsg:error=EPERM', '--stub', '400', '--', fixture('raw_calls'), '400', '1']);
    expect(r.hung).toBe(false);
    expect({ exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({ exitCode: 0, signal: null, stdout: 'ret=0x2a\n', stderr: '' });
  });
});
