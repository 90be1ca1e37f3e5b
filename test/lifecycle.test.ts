// Supervisor lifecycle under load: close() while processes fork, process
// accounting when children outrun their parent's fork event, an idle listener
// after its tree exited, and collected supervisors at Node's exit.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defineModule, Supervisor } from '../lib/index.js';
import { root, ROUTES } from './helpers.js';

const seven = defineModule({ name: 'seven', syscalls: { getpmsg: () => 7 } });

describe.each(ROUTES)('%s route', (route) => {
  it('close() returns promptly while the tree keeps forking (children born after the kill die too)', async () => {
    for (let i = 0; i < 5; i++) {
      const sup = new Supervisor({ route, modules: [seven] });
      let born = 0;
      const forking = new Promise<void>((r) => sup.on('process', () => ++born === 5 && r()));
      sup.spawn('sh', ['-c', 'while :; do sleep 3 & done'], { stdio: 'ignore' });
      await forking; // the shell and a few of its children
      // A close() that chased the forks for ever would never resolve: a generous
      // bound turns that into a clear failure rather than the test's timeout.
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 10_000)));
      expect(await Promise.race([sup.close().then(() => 'closed' as const), hung])).toBe('closed');
      clearTimeout(timer);
      expect(sup.liveProcesses).toBe(0);
    }
  });

  it('every new process is announced once, even when it exits before its parent\'s fork event', async () => {
    const sup = new Supervisor({ route });
    let born = 0;
    let died = 0;
    sup.on('process', () => born++);
    sup.on('processExit', () => died++);
    const idle = new Promise((r) => sup.once('idle', r));
    await sup.spawn('sh', ['-c', 'for i in $(seq 60); do /bin/true & done; wait'], { stdio: 'ignore' }).exited;
    await idle;
    expect(born).toBeGreaterThanOrEqual(60); // the trues, and seq in its subshell
    expect(died).toBe(born + 1); // every one of them, and the shell
    expect(sup.liveProcesses).toBe(0);
    await sup.close();
  });
});

describe('idle listener', () => {
  it('uses no CPU once its tree has exited (POLLHUP stops the poll)', async () => {
    const sup = new Supervisor({ modules: [seven] });
    const idle = new Promise((r) => sup.once('idle', r));
    await sup.spawn('/bin/true', [], { stdio: 'ignore' }).exited;
    const keepAlive = setInterval(() => {}, 50); // the loop stays alive, as in a long-lived harness
    await idle; // its tree is gone
    // CPU used over a fixed window: a spinning poll would use all of it.
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 500));
    const used = process.cpuUsage(before);
    clearInterval(keepAlive);
    expect((used.user + used.system) / 1000).toBeLessThan(100);
    await sup.close();
  });
});

describe('Node exit', () => {
  it('closed and collected supervisors do not crash Node at exit (cleanup hooks removed)', async () => {
    const script = `
      import { Supervisor } from ${JSON.stringify(root + '/dist/index.js')};
      for (let i = 0; i < 5; i++) {
        const sup = new Supervisor();
        await sup.spawn('/bin/true', [], { stdio: 'ignore' }).exited;
        await sup.close();
      }
      for (let k = 0; k < 3; k++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 30)); }
      const junk = []; for (let i = 0; i < 1e5; i++) junk.push(Buffer.alloc(64, 0xff)); // reuse the freed memory
      console.log('done');`;
    const r = await new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
      const c = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d));
      c.on('exit', (code, signal) => resolve({ code, signal, out }));
    });
    expect(r).toEqual({ code: 0, signal: null, out: 'done\n' });
  });
});
