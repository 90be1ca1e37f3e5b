// Tracing: every call of a traced syscall reported once with its result, on
// real and emulated calls, in the library (typed events) and the CLI (-o, -c,
// -T, --json), complete even when the target is killed.
import { on } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineModule, Supervisor, type SyscallEvent } from '../../lib/index.js';
import { fixture, runCli, ROUTES } from '../helpers.js';

const env = { ...process.env, LC_ALL: 'C' };
const tmp = (name: string) => path.join(os.tmpdir(), `sysstub-trace-${process.pid}-${name}`);

async function traced(file: string, args: string[], opts: ConstructorParameters<typeof Supervisor>[0]) {
  const sup = new Supervisor(opts);
  const events: SyscallEvent[] = [];
  sup.on('syscall', (e: SyscallEvent) => events.push(e));
  const child = sup.spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.resume();
  const r = await child.closed;
  await sup.close();
  return { events, out, r, child };
}

describe('trace events (library)', () => {
  it('one event per call, with its result; untraced calls are not reported', async () => {
    const { events, out } = await traced(fixture('loop'), ['250', '0'], { trace: { syscalls: 'getppid' } });
    expect(out).toBe('getppid ok=250 getpmsg last=0\n');
    const mine = events.filter((e) => e.name === 'getppid');
    expect(mine).toHaveLength(250);
    expect(events.every((e) => e.name === 'getppid')).toBe(true);
    for (const e of mine) {
      expect(e.ret).toBeGreaterThan(0n);
      expect(e.error).toBeNull();
      expect(e.exitNs! >= e.entryNs).toBe(true);
    }
  });

  it('errors carry the errno name; memory is captured as asked', async () => {
    const { events } = await traced('cat', ['/nonexistent', '/etc/hostname'], {
      trace: { syscalls: 'openat', capture: () => [{ key: 'path', arg: 1, at: 'entry', kind: 'cstr', len: { size: 0 }, max: 64 }] },
    });
    const opens = events.filter((e) => {
      const p = e.mem.get('path');
      return p && Buffer.from(p).toString() !== '' && !Buffer.from(p).toString().startsWith('/lib') && !Buffer.from(p).toString().startsWith('/etc/ld');
    });
    expect(opens.map((e) => [Buffer.from(e.mem.get('path')!).toString(), e.error ?? String(e.ret)])).toEqual([
      ['/nonexistent', 'ENOENT'],
      ['/etc/hostname', '3'],
    ]);
  });

  it.each(ROUTES)('emulated calls are traced with the answer they got (%s route)', async (route) => {
    const seven = defineModule({ name: 'seven', syscalls: { getpmsg: (c) => (c.tid % 2 ? 7 : 7) } });
    const { events } = await traced(fixture('loop'), ['0', '5'], { route, modules: [seven], trace: { syscalls: 'getpmsg,exit_group' } });
    expect(events.map((e) => [e.name, e.ret])).toEqual([...Array(5).fill(['getpmsg', 7n]), ['exit_group', null]]);
  });

  it('follows threads and forks', async () => {
    const { events } = await traced(fixture('forkexec'), ['2'], { trace: { syscalls: 'getpmsg' } });
    expect(new Set(events.map((e) => e.pid)).size).toBe(3);
    expect(events.every((e) => e.error === 'ENOSYS')).toBe(true);
  });
});

describe('trace output (CLI)', () => {
  it('-c totals equal the number of calls made', async () => {
    const r = await runCli(['run', '-c', '-e', 'trace=getppid,getpmsg', '--', fixture('loop'), '123', '45'], { env });
    expect(r.stdout).toBe('getppid ok=123 getpmsg last=-1\n');
    // % time, seconds, usecs/call, calls, errors (blank when 0), syscall; the total row has no usecs/call.
    const rows = Object.fromEntries(r.stderr.split('\n').filter((l) => /^\s*\d+\.\d+/.test(l)).map((l) => {
      const f = l.trim().split(/\s+/);
      const name = f.at(-1)!;
      const first = name === 'total' ? 2 : 3;
      return [name, { calls: Number(f[first]), errors: f.length > first + 2 ? Number(f[first + 1]) : 0 }];
    }));
    expect(rows.getppid).toEqual({ calls: 123, errors: 0 });
    expect(rows.getpmsg).toEqual({ calls: 45, errors: 45 });
    expect(rows.total).toEqual({ calls: 168, errors: 45 });
  });

  it('-o FILE is complete when the target is killed, ending with how it died', async () => {
    const file = tmp('killed.txt');
    const r = await runCli(['run', '-o', file, '-e', 'trace=getppid', '--', 'sh', '-c', `${fixture('loop')} 50 0 >/dev/null; kill -9 $$`], { env });
    expect(r.signal).toBe('SIGKILL');
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    fs.rmSync(file, { force: true });
    // The loop's 50, and the shell's own getppid for $PPID.
    expect(lines.filter((l) => /getppid\(\)\s+= \d+$/.test(l)).length).toBeGreaterThanOrEqual(50);
    expect(lines.at(-1)).toMatch(/\+\+\+ killed by SIGKILL \+\+\+$/);
  });

  it('--json: one typed object per event', async () => {
    const file = tmp('events.jsonl');
    await runCli(['run', '--json', '-o', file, '-e', 'trace=getppid', '--', fixture('loop'), '3', '0'], { env });
    const objs = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    fs.rmSync(file, { force: true });
    const calls = objs.filter((o) => o.type === 'syscall');
    expect(calls).toHaveLength(3);
    for (const o of calls) {
      expect(o).toMatchObject({ name: 'getppid', nr: 110, error: null });
      expect(typeof o.pid).toBe('number');
      expect(o.args).toHaveLength(6);
      expect(String(o.ret)).toMatch(/^\d+$/);
      expect(BigInt(o.exitNs as string) >= BigInt(o.entryNs as string)).toBe(true);
      expect(String(o.text)).toMatch(/^getppid\(\) = \d+$/);
    }
    expect(objs.at(-1)).toMatchObject({ type: 'exit', code: 0, signal: null });
  });

  it('-T appends the time spent, -tt prefixes the time of day', async () => {
    const r = await runCli(['run', '-tt', '-T', '-e', 'trace=getppid', '--', fixture('loop'), '1', '0'], { env });
    expect(r.stderr.split('\n')[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} getppid\(\)\s+= \d+ <0\.\d{6}>$/);
  });
});

describe('trace events per child and in run()', () => {
  it('each spawned child gets the events of its own tree; run() collects them', async () => {
    const { run } = await import('../../lib/index.js');
    const sup = new Supervisor({ trace: { syscalls: 'getpmsg' } });
    const a = sup.spawn(fixture('forkexec'), ['1'], { stdio: 'ignore' });
    const b = sup.spawn(fixture('loop'), ['0', '3'], { stdio: 'ignore' });
    const seen: Record<string, number[]> = { a: [], b: [] };
    a.on('syscall', (e: SyscallEvent) => seen.a.push(e.pid));
    const iterate = (async () => {
      for await (const [e] of on(b, 'syscall', { signal: AbortSignal.timeout(5000) })) {
        seen.b.push((e as SyscallEvent).pid);
        if (seen.b.length === 3) break;
      }
    })();
    await Promise.all([a.exited, b.exited, iterate]);
    await sup.close();
    expect(seen.a).toHaveLength(2); // forkexec level 1 and level 0 (a child of a)
    expect(new Set(seen.a).size).toBe(2);
    expect(seen.b).toEqual([b.pid, b.pid, b.pid]);
    const r = await run([fixture('loop'), '2', '0'], { trace: { syscalls: 'getppid' } });
    expect(r.syscalls.map((e) => e.name)).toEqual(['getppid', 'getppid']);
  });
});
