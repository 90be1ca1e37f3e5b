// Reliability: sysstub must never hang. Each case runs a real program under the
// CLI (or run()) with a kill timer; a run that the timer had to SIGKILL is a
// failure ("hung"), never a timing assertion.
//  - a storm of short-lived detached threads (and stress-ng --pthread);
//  - SIGTERM to the CLI once the root program has exited but a background
//    grandchild keeps it waiting;
//  - ptrace denied (sysstub under sysstub, sysstub under strace): exit 125 and
//    one "ptrace" line;
//  - a synchronous handler that never returns: --handler-timeout and SIGTERM
//    must still end the CLI and the program;
//  - run({ timeout }) with a grandchild holding the output pipes.
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { needs, onlyIf } from '../probes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asText, cli, fixture, procState, startCollect } from '../helpers.js';
import { run } from '../../lib/index.js';


function have(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveStressNg = have('stress-ng', ['--version']);

/** How a run ended, output as text; hung: the kill timer fired. */
type Ended = ReturnType<typeof asText>;

interface Live {
  child: ChildProcess;
  /** Resolves with the first stdout line. */
  firstLine: Promise<string>;
  ended: Promise<Ended>;
}

/** Spawn with piped stdio and a kill timer: after killMs the process gets SIGKILL and `hung` is true. */
function start(file: string, args: string[], killMs: number): Live {
  // Its own process group, so that the timer can kill everything it started.
  const c = startCollect(file, args, { detached: true, killMs });
  let gotLine: (l: string) => void = () => {};
  let noLine: (e: Error) => void = () => {};
  const firstLine = new Promise<string>((resolve, reject) => {
    gotLine = resolve;
    noLine = reject;
  });
  firstLine.catch(() => {});
  // After startCollect's own listener: c.stdout() already holds this chunk.
  c.child.stdout!.on('data', () => {
    const out = c.stdout().toString();
    const nl = out.indexOf('\n');
    if (nl >= 0) gotLine(out.slice(0, nl));
  });
  const ended = c.ended.then((r) => {
    noLine(new Error(`exited before printing a line; stderr: ${r.stderr.toString()}`));
    return asText(r);
  });
  return { child: c.child, firstLine, ended };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll (up to ms) until pid is gone or a zombie (waiting for init). */
async function goneOrZombie(pid: number, ms = 3000): Promise<string> {
  const deadline = Date.now() + ms;
  let s = procState(pid);
  while (s !== 'gone' && s !== 'Z' && Date.now() < deadline) {
    await sleep(20);
    s = procState(pid);
  }
  return s;
}

/** Best effort: SIGKILL a pid left behind by a failing test. */
function reap(pid: number | undefined): void {
  if (pid === undefined || !(pid > 1)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Live (non-zombie) processes whose tracer is a thread of this process. */
function tracedByThisProcess(): number[] {
  const found: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = fs.readFileSync(`/proc/${d}/status`, 'utf8');
      const tracer = Number(/^TracerPid:\s*(\d+)/m.exec(status)?.[1] ?? 0);
      if (tracer === 0 || /^State:\s*Z/m.test(status)) continue;
      const tgid = Number(/^Tgid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${tracer}/status`, 'utf8'))?.[1] ?? 0);
      if (tgid === process.pid) found.push(Number(d));
    } catch {
      // raced with an exit
    }
  }
  return found;
}

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-hangs-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('many short-lived threads', () => {
  it('thread_storm (2 threads x 1000 detached threads) exits 0 with "done" under sysstub run, 3 times', async () => {
    const native = await start(fixture('thread_storm'), [], 60_000).ended;
    expect(native).toMatchObject({ exitCode: 0, signal: null, hung: false, stdout: 'done\n' });
    for (let i = 0; i < 3; i++) {
      const r = await start(process.execPath, [cli, 'run', '--', fixture('thread_storm')], 60_000).ended;
      expect(r.hung, `run ${i + 1}: sysstub hung (killed after 60 s); stdout=${JSON.stringify(r.stdout)} stderr=${r.stderr}`).toBe(false);
      expect({ run: i + 1, code: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({
        run: i + 1,
        code: 0,
        signal: null,
        stdout: 'done\n',
        stderr: '',
      });
    }
  }, 200_000);

  onlyIf(haveStressNg, 'stress-ng is not installed').it('sysstub run -- stress-ng --pthread 2 -t 2 exits 0, 5 times', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await start(process.execPath, [cli, 'run', '--', 'stress-ng', '--pthread', '2', '-t', '2'], 60_000).ended;
      expect(r.hung, `run ${i + 1}: sysstub hung (killed after 60 s); stderr=${r.stderr}`).toBe(false);
      expect({ run: i + 1, code: r.exitCode, signal: r.signal }, r.stderr).toEqual({ run: i + 1, code: 0, signal: null });
    }
  }, 320_000);
});

describe('SIGTERM after the root program has exited', () => {
  it("sh -c 'sleep 30 & exit 0': SIGTERM to the waiting CLI ends it as SIGTERM would and kills the grandchild", async () => {
    const c = start(process.execPath, [cli, 'run', '--', 'sh', '-c', 'sleep 30 & echo $$ $!; exit 0'], 20_000);
    const [shPid, sleepPid] = (await c.firstLine).split(' ').map(Number);
    try {
      expect(sleepPid).toBeGreaterThan(1);
      // The root shell is gone (reaped by the tracer); the CLI still waits for sleep.
      expect(await goneOrZombie(shPid, 5000)).toMatch(/^(gone|Z)$/);
      expect(procState(sleepPid)).not.toMatch(/^(gone|Z)$/);
      c.child.kill('SIGTERM');
      const r = await c.ended;
      expect(r.hung, `the CLI ignored SIGTERM (killed after 20 s); stderr=${r.stderr}`).toBe(false);
      expect(r.signal === 'SIGTERM' || r.exitCode === 143, `code=${r.exitCode} signal=${r.signal} stderr=${r.stderr}`).toBe(true);
      // The signal reached the remaining traced process: nothing left behind.
      expect(await goneOrZombie(sleepPid)).toMatch(/^(gone|Z)$/);
    } finally {
      reap(sleepPid);
      c.child.kill('SIGKILL');
      await c.ended;
    }
  }, 40_000);
});

describe('ptrace denied: exit 125 with one "ptrace" line, no hang', () => {
  function expectPtraceRefusal(r: Ended, what: string): void {
    expect(r.hung, `${what} hung (killed after the timer); stderr=${r.stderr}`).toBe(false);
    expect({ code: r.exitCode, signal: r.signal }, r.stderr).toEqual({ code: 125, signal: null });
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/ptrace/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }

  it('sysstub run -- node bin/sysstub.js run -- true: the inner one exits 125, the outer returns it', async () => {
    const r = await start(process.execPath, [cli, 'run', '--', process.execPath, cli, 'run', '--', 'true'], 30_000).ended;
    expectPtraceRefusal(r, 'nested sysstub');
    expect(r.stdout).toBe('');
  }, 40_000);

  needs('strace').it('strace -f -o /dev/null node bin/sysstub.js run -- true: exits 125', async () => {
    const r = await start('strace', ['-f', '-o', '/dev/null', process.execPath, cli, 'run', '--', 'true'], 30_000).ended;
    expectPtraceRefusal(r, 'sysstub under strace');
    expect(r.stdout).toBe('');
  }, 40_000);
});

describe('a synchronous handler that never returns', () => {
  const spinModule = () => {
    const p = path.join(tmp, 'spin.mjs');
    fs.writeFileSync(p, "export default { name: 'spin', syscalls: { getpmsg() { for (;;) {} } } };\n");
    return p;
  };

  it('--handler-timeout 500: the CLI exits 125 with a message naming the handler, and the program is killed', async () => {
    const c = start(process.execPath, [cli, 'run', '--handler-timeout', '500', '-m', spinModule(), '--', 'sh', '-c', `echo $$; exec ${fixture('stubcall')} 181`], 30_000);
    let pid: number | undefined;
    try {
      pid = Number(await c.firstLine);
      const r = await c.ended;
      expect(r.hung, `the CLI hung in the spinning handler (killed after 30 s); stderr=${r.stderr}`).toBe(false);
      expect({ code: r.exitCode, signal: r.signal }, r.stderr).toEqual({ code: 125, signal: null });
      expect(r.stderr).toMatch(/handler/i);
      expect(r.stderr).toMatch(/getpmsg|181|spin/);
      // The program never got an answer: it was killed, it printed nothing more.
      expect(r.stdout).toBe(`${pid}\n`);
      expect(await goneOrZombie(pid)).toMatch(/^(gone|Z)$/);
    } finally {
      reap(pid);
    }
  }, 40_000);

  it('SIGTERM to the CLI while the handler spins ends the CLI and the program', async () => {
    const c = start(process.execPath, [cli, 'run', '--handler-timeout', 'none', '-m', spinModule(), '--', 'sh', '-c', `echo $$; exec ${fixture('stubcall')} 181`], 20_000);
    let pid: number | undefined;
    try {
      pid = Number(await c.firstLine);
      // Wait until the program is stopped in getpmsg (the handler is spinning).
      const deadline = Date.now() + 5000;
      const inCall = () => {
        try {
          return fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').startsWith('181 ');
        } catch {
          return false;
        }
      };
      while (!inCall() && Date.now() < deadline) await sleep(20);
      expect(inCall(), 'the program never reached getpmsg').toBe(true);
      c.child.kill('SIGTERM');
      const r = await c.ended;
      expect(r.hung, `SIGTERM did not end the CLI (killed after 20 s); stderr=${r.stderr}`).toBe(false);
      expect(r.signal === 'SIGTERM' || r.exitCode === 143 || r.exitCode === 125, `code=${r.exitCode} signal=${r.signal} stderr=${r.stderr}`).toBe(true);
      expect(await goneOrZombie(pid)).toMatch(/^(gone|Z)$/);
    } finally {
      reap(pid);
    }
  }, 40_000);
});

describe('run() with a timeout', () => {
  it("run(['sh','-c','sleep 30 & echo $!; wait'], { timeout: 300 }) resolves, timedOut, and no sleep is left", async () => {
    const p = run(['sh', '-c', 'sleep 30 & echo $!; wait'], { timeout: 300 });
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([p, new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 10_000)))]);
    clearTimeout(timer);
    if (r === 'hung') {
      // Clean up the grandchild from outside, then fail.
      for (const pid of tracedByThisProcess()) reap(pid);
      await p.catch(() => {});
      expect.fail('run() did not resolve within 10 s of a 300 ms timeout (it waits for the grandchild sleep 30)');
    }
    const sleepPid = Number(r.stdout.split('\n')[0]);
    try {
      expect(r.timedOut).toBe(true);
      expect(sleepPid).toBeGreaterThan(1);
      expect(await goneOrZombie(sleepPid), `sleep 30 (pid ${sleepPid}) is still alive after run() resolved`).toMatch(/^(gone|Z)$/);
      expect(tracedByThisProcess()).toEqual([]);
    } finally {
      reap(sleepPid);
    }
  }, 40_000);
});
