// How traced calls reach JS (native/event_batch.h): they do not wake the main
// thread one by one, yet every one arrives, in order, even when nothing else
// happens after it; and a tracee's ptrace stops do not send this process a
// SIGCHLD each (SA_NOCLDSTOP, native/tracer.cc QuietStopNotifications).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Supervisor, type SyscallEvent } from '../../lib/index.js';
import { fixture, runCli } from '../helpers.js';

describe('delivery of traced calls', () => {
  // Regression: before the flush timer existed nothing would deliver a
  // deferred call while the program waits; this waits for it (no timing).
  it('a traced call followed by nothing else still reaches its listener while the program runs', async () => {
    const sup = new Supervisor({
      trace: { syscalls: 'openat', capture: () => [{ key: 'path', arg: 1, at: 'entry', kind: 'cstr', len: { size: 0 }, max: 64 }] },
    });
    try {
      const paths: string[] = [];
      let arrived: () => void = () => {};
      const opened = new Promise<void>((resolve) => (arrived = resolve));
      sup.on('syscall', (e: SyscallEvent) => {
        const p = e.mem.get('path');
        paths.push(p ? Buffer.from(p).toString() : '?');
        if (paths.at(-1) === '/etc/passwd') arrived();
      });
      // The shell opens the file itself (no fork: no other event), says so, and
      // waits on stdin again: only the flush can bring the openat to us then.
      const child = sup.spawn('sh', ['-c', 'read a; exec 3</etc/passwd; echo opened; read b'], { stdio: ['pipe', 'pipe', 'inherit'] });
      await once(sup, 'exec'); // JS has taken every event up to the exec (it wakes JS)
      child.stdin!.write('go\n');
      let out = '';
      for await (const d of child.stdout!) {
        out += d;
        if (out.includes('opened')) break;
      }
      await opened;
      expect(child.exitResult).toBeNull();
      child.stdin!.end('done\n');
      const r = await child.exited;
      expect(r.exitCode).toBe(0);
      expect(paths).toContain('/etc/passwd');
    } finally {
      await sup.close();
    }
  });

  // Regression: an urgent event that carried deferred ones left the periodic
  // flush timer running, and it woke the idle tracer thread every 10 ms for
  // ever. Counted over a pause: the count can only grow with the bug.
  it('the tracer thread sleeps while the program does, once the deferred calls went out', async () => {
    const sup = new Supervisor({ trace: { syscalls: 'openat' } });
    try {
      const exits: number[] = [];
      sup.on('processExit', (x: { pid: number }) => exits.push(x.pid));
      // Deferred openat calls, then a child's exit (urgent: it carries them), then nothing.
      const child = sup.spawn('sh', ['-c', 'exec 3</etc/passwd; (exit 0); echo idle; read x'], { stdio: ['pipe', 'pipe', 'inherit'] });
      await once(child.stdout!, 'data');
      while (exits.length === 0) await once(sup, 'processExit');
      const tracer = fs.readdirSync('/proc/self/task').find((t) => fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'sysstub-tracer');
      expect(tracer, 'the tracer thread is named sysstub-tracer').toBeDefined();
      const switches = () => Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(fs.readFileSync(`/proc/self/task/${tracer}/status`, 'utf8'))![1]);
      const before = switches();
      await new Promise((r) => setTimeout(r, 300));
      expect(switches() - before).toBeLessThan(10); // a 10 ms timer left running: about 30
      child.stdin!.end('x\n');
      expect((await child.exited).exitCode).toBe(0);
    } finally {
      await sup.close();
    }
  });

  it('a traced program does not send this process a SIGCHLD per stop: as natively, one per exit', async () => {
    let sigchld = 0;
    const count = () => sigchld++;
    process.on('SIGCHLD', count); // libuv's handler goes in first, as with child_process
    try {
      const native = spawn(fixture('loop'), ['500', '0'], { stdio: 'ignore' });
      await once(native, 'exit');
      await new Promise((r) => setImmediate(r));
      const nativeCount = sigchld;
      expect(nativeCount).toBeGreaterThanOrEqual(1);
      sigchld = 0;
      const sup = new Supervisor({ trace: { syscalls: 'getppid' } });
      let calls = 0;
      sup.on('syscall', () => calls++);
      const r = await sup.spawn(fixture('loop'), ['500', '0'], { stdio: 'ignore' }).exited;
      await sup.close();
      await new Promise((r) => setImmediate(r));
      expect(r.exitCode).toBe(0);
      expect(calls).toBe(500);
      // 500 traced calls are 1000 ptrace stops: each sent a SIGCHLD before.
      expect(sigchld).toBeLessThanOrEqual(nativeCount + 1);
    } finally {
      process.off('SIGCHLD', count);
    }
  });

  it('-o /dev/null: the program runs and exits as it would, and -c still counts every call', async () => {
    const nul = await runCli(['run', '-e', 'trace=getppid', '-o', '/dev/null', '--', fixture('loop'), '40', '0']);
    expect(nul.exitCode).toBe(0);
    expect(nul.stdout).toBe('getppid ok=40 getpmsg last=0\n');
    const file = path.join(os.tmpdir(), `sysstub-delivery-${process.pid}.txt`);
    try {
      const summary = await runCli(['run', '-c', '-e', 'trace=getppid', '-o', file, '--', fixture('loop'), '40', '0']);
      expect(summary.exitCode).toBe(0);
      expect(fs.readFileSync(file, 'utf8')).toMatch(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+40\s+getppid$/m);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
