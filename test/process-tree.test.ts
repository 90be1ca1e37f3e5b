// Following the whole process tree: threads, fork/vfork/exec chains, exec
// from a non-leader thread, job control, and the count of tracer stops.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineModule, Supervisor } from '../lib/index.js';
import { fixture, runNative, runSupervised, ROUTES, trappedCalls } from './helpers.js';
import { needs } from './probes.js';

const answerTid = defineModule({ name: 'tid', syscalls: { getpmsg: (c) => c.tid } });
const answer7 = defineModule({ name: 'seven', syscalls: { getpmsg: () => 7 } });

describe.each(ROUTES)('%s route', (route) => {
  describe('process tree', () => {
    it('routes each thread\'s calls back to that thread (multi-threaded fixture)', async () => {
      const r = await runSupervised(fixture('threads'), ['16', '50'], { modules: [answerTid], supervisor: { route } });
      expect(r).toMatchObject({ stdout: 'threads=16 calls=50 wrong=0\n', exitCode: 0 });
      // Natively every call fails, so every answer is "wrong": the fixture can fail.
      expect((await runNative(fixture('threads'), ['2', '3'])).stdout).toBe('threads=2 calls=3 wrong=6\n');
    });

    it('supervises a fork/vfork/exec chain to the last level', async () => {
      const native = await runNative(fixture('forkexec'), ['5']);
      const traced = await runSupervised(fixture('forkexec'), ['5'], { modules: [answer7], supervisor: { route } });
      expect(native.stdout).toBe([5, 4, 3, 2, 1, 0].map((l) => `level ${l} getpmsg=-1\n`).join(''));
      expect(traced.stdout).toBe(native.stdout.replaceAll('getpmsg=-1', 'getpmsg=7'));
      expect(traced.exitCode).toBe(native.exitCode);
      expect(traced.exitCode).toBe(5);
    });

    it('follows exec from a non-leader thread (the thread takes the leader\'s pid)', async () => {
      const sup = new Supervisor({ route, modules: [answer7] });
      const execs: { pid: number; formerTid: number }[] = [];
      sup.on('exec', (e: { pid: number; formerTid: number }) => execs.push(e));
      const child = sup.spawn(fixture('exec_thread'), [], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      const r = await child.closed;
      await sup.close();
      expect(out).toBe('before exec: getpmsg=7\nafter exec: same pid=yes getpmsg=7\n');
      expect(r.exitCode).toBe(0);
      expect(execs).toHaveLength(2);
      expect(execs[1].pid).toBe(child.pid);
      expect(execs[1].formerTid).not.toBe(child.pid);
    });

    it('job control: SIGSTOP/SIGTSTP stop and SIGCONT resumes exactly as natively (PTRACE_LISTEN)', async () => {
      const native = await runNative(fixture('jobctl'));
      const traced = await runSupervised(fixture('jobctl'), [], { supervisor: { route } });
      expect(native.stdout).toBe('stopped by 19\nstill stopped: yes\ncontinued\nexited 3\nstopped by 20\nstill stopped: yes\ncontinued\nexited 4\n');
      expect(traced).toEqual(native);
    });

    it('a supervised process stopped from outside stays stopped until SIGCONT', async () => {
      const sup = new Supervisor({ route });
      const child = sup.spawn(fixture('sleeper'), ['1'], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise((r) => child.stdout!.once('data', r));
      const state = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1][0];
      child.kill('SIGSTOP');
      // Longer than its sleep: had the stop not held, it would have exited by
      // now (a slow machine only makes the wait longer, never the test wrong).
      await new Promise((r) => setTimeout(r, 1500));
      // /proc shows 't' (traced) rather than 'T' for a group-stopped tracee: the
      // one visible difference, as under strace.
      expect(state()).toMatch(/^[tT]$/);
      expect(child.exitResult).toBeNull();
      child.kill('SIGCONT');
      expect((await child.exited).exitCode).toBe(0);
      expect(sup.stats().groupStops).toBeGreaterThan(0);
      await sup.close();
    });

    it('untrapped calls never stop in the tracer; each trapped call stops exactly once', async () => {
      const sup = new Supervisor({ route, modules: [answer7] });
      const a = sup.spawn(fixture('loop'), ['20000', '0'], { stdio: 'ignore' });
      await a.exited;
      const s0 = sup.stats();
      expect(s0.seccompStops).toBe(0);
      expect(s0.notifCalls).toBe(0);
      const b = sup.spawn(fixture('loop'), ['20000', '25'], { stdio: 'ignore' });
      await b.exited;
      const s1 = sup.stats();
      expect(trappedCalls(s1, route) - trappedCalls(s0, route)).toBe(25);
      // ...and no stop at all on the other route.
      expect(s1.seccompStops + s1.notifCalls).toBe(25);
      await sup.close();
    });

    it('CLONE_UNTRACED (clone, clone3) cannot make an untraced child', async () => {
      const native = await runNative(fixture('untraced'), ['clone', 'clone3']);
      expect(native).toMatchObject({ stdout: 'clone: child escaped\nclone3: child escaped\n', exitCode: 0 });
      const r = await runSupervised(fixture('untraced'), ['clone', 'clone3'], { modules: [answer7], supervisor: { route } });
      expect(r).toEqual({ ...native, stdout: 'clone: child traced\nclone3: child traced\n' });
    });

    needs('ia32').it('CLONE_UNTRACED through i386 clone (int 0x80) cannot make an untraced child', async () => {
      const native = await runNative(fixture('untraced'), ['i386']);
      expect(native).toMatchObject({ stdout: 'i386 clone: child escaped\n', exitCode: 0 });
      const r = await runSupervised(fixture('untraced'), ['i386'], { modules: [answer7], supervisor: { route } });
      expect(r).toEqual({ ...native, stdout: 'i386 clone: child traced\n' });
    });

    it('close() kills every tracee, including one stopped in a pending handler call', async () => {
      let called!: () => void;
      const inHandler = new Promise<void>((r) => (called = r));
      const hang = defineModule({ name: 'hang', syscalls: { getpmsg: { timeout: null, handler: () => (called(), new Promise<number>(() => {})) } } });
      const sup = new Supervisor({ route, modules: [hang] });
      const child = sup.spawn(fixture('stubcall'), ['181'], { stdio: 'ignore' });
      await inHandler; // stopped in the pending call
      expect(child.exitResult).toBeNull();
      await sup.close();
      expect((await child.exited).signal).toBe('SIGKILL');
      const fs = await import('node:fs');
      expect(fs.existsSync(`/proc/${child.pid}`)).toBe(false);
    });
  });
});
