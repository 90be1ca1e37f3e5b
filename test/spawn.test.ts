// Spawning under sysstub: stdio, argv/env/cwd, exit codes, deaths by signal,
// spawn errors, all compared with a native run of the same fixture.
import { spawn as cpSpawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { run, Supervisor, SpawnError } from '../lib/index.js';
import { fixture, runNative, runSupervised } from './helpers.js';

describe('spawn', () => {
  it('stdout and stderr are byte-identical to a native run', async () => {
    const input = 'line one\nline two\n\u00e9\u0000binary';
    const args = ['0', 'with space', ''];
    const opts = { input, env: { ...process.env, SYSSTUB_TEST: 'value=1' } };
    const native = await runNative(fixture('stdio_echo'), args, opts);
    const traced = await runSupervised(fixture('stdio_echo'), args, opts);
    expect(native.stdout).toContain('argv[2]=with space');
    expect(native.stdout).toContain('env=value=1');
    expect(traced).toEqual(native);
  });

  it('passes the exit code through', async () => {
    for (const code of [0, 1, 42, 255]) {
      const r = await runSupervised(fixture('stdio_echo'), [String(code)]);
      expect(r.exitCode).toBe(code);
      expect(r.signal).toBeNull();
    }
  });

  it('reports death by signal like child_process does', async () => {
    for (const sig of ['SIGTERM', 'SIGKILL', 'SIGSEGV', 'SIGABRT'] as const) {
      const script = `kill -${sig.slice(3)} $$`;
      const native = await runNative('/bin/sh', ['-c', script]);
      const traced = await runSupervised('/bin/sh', ['-c', script]);
      expect(traced.signal).toBe(sig);
      expect(traced).toEqual(native);
    }
  });

  it('honours cwd and argv0', async () => {
    const sup = new Supervisor();
    const child = sup.spawn(fixture('stdio_echo'), [], { stdio: ['ignore', 'pipe', 'ignore'], cwd: '/tmp', argv0: 'renamed' });
    let out = '';
    child.stdout!.setEncoding('latin1').on('data', (d: string) => (out += d));
    await child.closed;
    await sup.close();
    expect(out).toContain('argv[0]=renamed');
    expect(out).toContain('cwd=/tmp');
  });

  it('a missing program fails with a Node-shaped ENOENT, without a child', async () => {
    const err = await run(['./no/such/program']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnError);
    expect(err).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'spawn ./no/such/program', path: './no/such/program' });
  });

  it('a program that cannot be executed fails with EACCES from the exec', async () => {
    const err = await run(['/etc/passwd']).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EACCES', errno: -13 });
  });

  it('searches PATH like execvp', async () => {
    const r = await run(['sh', '-c', 'echo found']);
    expect(r.stdout).toBe('found\n');
  });

  it('rejects bad options with the name of the option', () => {
    const sup = new Supervisor();
    expect(() => sup.spawn(fixture('stubcall'), [], { stdoi: 'pipe' } as never)).toThrow(/unknown option "stdoi"/);
    expect(() => sup.spawn(fixture('stubcall'), [], { stdio: ['pipe', 'bogus', 'pipe'] } as never)).toThrow(/stdio\[1\]/);
    expect(() => new Supervisor({ handlerTimeot: 5 } as never)).toThrow(/unknown option "handlerTimeot"/);
  });

  it('never reaps the children of Node\'s own child_process (waits with __WNOTHREAD)', async () => {
    const sup = new Supervisor();
    const traced = sup.spawn(fixture('sleeper'), ['1'], { stdio: 'ignore' });
    const codes = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        new Promise<number | null>((resolve) => cpSpawn('/bin/sh', ['-c', `exit ${i + 3}`]).on('exit', (c) => resolve(c))),
      ),
    );
    expect(codes).toEqual([3, 4, 5, 6, 7]);
    expect((await traced.exited).exitCode).toBe(0);
    await sup.close();
  });
});
