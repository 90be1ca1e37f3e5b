// Reliability: `sysstub run -- PROG` must be invisible to PROG. Every case runs
// the same command natively (child_process) and under the CLI, from the same
// parent state, and compares stdout bytes, stderr and exit status:
//  - inherited file descriptors above 2 (3, 5, 20);
//  - ignored signals (nohup) and the blocked signal mask;
//  - a closed stdout;
//  - non-UTF-8 bytes in output, environment, program path and cwd;
//  - signals sent to the CLI: SIGUSR1 (never Node's inspector), signal 39,
//    and a process-group signal delivered exactly once.
import { type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, fixture, spawnCollect, startCollect, type Collected } from '../helpers.js';

/** The visible outcome, with bytes shown as hex so that a diff is readable. */
function view(r: Collected): { stdout: string; stderr: string; exitCode: number | null; signal: string | null; hung: boolean } {
  return { stdout: r.stdout.toString('hex'), stderr: r.stderr.toString('latin1'), exitCode: r.exitCode, signal: r.signal, hung: r.hung };
}

/** Same outcome natively and supervised; returns the native one. */
async function expectSame(native: Promise<Collected>, supervised: Promise<Collected>): Promise<Collected> {
  const [n, s] = await Promise.all([native, supervised]);
  expect(n.hung).toBe(false);
  expect(view(s)).toEqual(view(n));
  return n;
}

/** A POSIX shell string literal. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** `node bin/sysstub.js run --`, as a shell word list. */
// The CLI as a program (its shell prelude reads what it inherited before Node starts; README).
const CLI = `${q(cli)} run --`;

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-transp-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('inherited file descriptors', () => {
  for (const fd of [3, 5, 20]) {
    it(`bash -c 'cat <&${fd}' ${fd}</etc/hostname prints the hostname under sysstub too`, async () => {
      const hostname = fs.readFileSync('/etc/hostname');
      // One open file per run: the offset is shared by everything holding the fd.
      const stdio = (f: number): StdioOptions => {
        const s: StdioOptions = ['pipe', 'pipe', 'pipe'];
        for (let i = 3; i < fd; i++) s.push('ignore');
        s.push(f);
        return s;
      };
      const fa = fs.openSync('/etc/hostname', 'r');
      const fb = fs.openSync('/etc/hostname', 'r');
      try {
        const script = `cat <&${fd}`;
        const n = await expectSame(spawnCollect('bash', ['-c', script], { stdio: stdio(fa) }), spawnCollect(cli, ['run', '--', 'bash', '-c', script], { stdio: stdio(fb) }));
        expect(n.stdout.equals(hostname)).toBe(true);
        expect(n.exitCode).toBe(0);
      } finally {
        fs.closeSync(fa);
        fs.closeSync(fb);
      }
    });
  }
});

describe('inherited signal state', () => {
  it('nohup-style: SIGHUP ignored by the parent stays ignored (kill -HUP $$; echo survived)', async () => {
    const prog = `sh -c 'kill -HUP $$; echo survived'`;
    const n = await expectSame(
      spawnCollect('sh', ['-c', `trap "" HUP; exec ${prog}`]),
      spawnCollect('sh', ['-c', `trap "" HUP; exec ${CLI} ${prog}`]),
    );
    expect(n.stdout.toString()).toBe('survived\n');
    expect(n.exitCode).toBe(0);
  });

  it('a blocked SIGUSR1 and an ignored SIGINT reach the program: same SigBlk/SigIgn lines', async () => {
    const grep = ['grep', '-E', '^Sig(Blk|Ign):', '/proc/self/status'];
    const n = await expectSame(spawnCollect(fixture('sigmask_exec'), grep), spawnCollect(fixture('sigmask_exec'), [cli, 'run', '--', ...grep]));
    const text = n.stdout.toString();
    // SIGUSR1 is signal 10 (bit 9), SIGINT is 2 (bit 1).
    const blk = BigInt('0x' + /^SigBlk:\s*([0-9a-f]+)/m.exec(text)![1]);
    const ign = BigInt('0x' + /^SigIgn:\s*([0-9a-f]+)/m.exec(text)![1]);
    expect(blk & (1n << 9n)).toBe(1n << 9n);
    expect(ign & (1n << 1n)).toBe(1n << 1n);
  });
});

describe('a closed stdout', () => {
  it("bash -c 'echo hi; echo $? >&2' with stdout closed: stderr says 1, natively and supervised", async () => {
    const prog = `bash -c 'echo hi; echo $? >&2'`;
    const n = await expectSame(spawnCollect('sh', ['-c', `exec ${prog} >&-`]), spawnCollect('sh', ['-c', `exec ${CLI} ${prog} >&-`]));
    expect(n.stderr.toString()).toMatch(/(^|\n)1\n$/);
  });
});

describe('non-UTF-8 bytes', () => {
  it("printf %s $'\\xff\\xfeA': stdout is exactly ff fe 41", async () => {
    const args = ['-c', "printf %s $'\\xff\\xfeA'"];
    const n = await expectSame(spawnCollect('bash', args), spawnCollect(cli, ['run', '--', 'bash', ...args]));
    expect(n.stdout.toString('hex')).toBe('fffe41');
  });

  it('an environment variable with bytes ff fe passes through unchanged', async () => {
    const setV = `V=$(printf '\\377\\376'); export V;`;
    const prog = `sh -c 'printf %s "$V"'`;
    const n = await expectSame(spawnCollect('sh', ['-c', `${setV} exec ${prog}`]), spawnCollect('sh', ['-c', `${setV} exec ${CLI} ${prog}`]));
    expect(n.stdout.toString('hex')).toBe('fffe');
  });

  it('a program whose path contains byte 0xff runs (exit 0, not 127)', async () => {
    const dir = Buffer.concat([Buffer.from(`${tmp}/bin-`), Buffer.from([0xff])]);
    fs.mkdirSync(dir);
    const prog = Buffer.concat([dir, Buffer.from('/'), Buffer.from([0xff]), Buffer.from('true')]);
    fs.copyFileSync('/bin/true', prog);
    fs.chmodSync(prog, 0o755);
    const env = { ...process.env, D: tmp };
    const P = `P="$D/bin-$(printf '\\377')/$(printf '\\377')true";`;
    const n = await expectSame(spawnCollect('sh', ['-c', `${P} exec "$P"`], { env }), spawnCollect('sh', ['-c', `${P} exec ${CLI} "$P"`], { env }));
    expect({ exitCode: n.exitCode, stderr: n.stderr.toString() }).toEqual({ exitCode: 0, stderr: '' });
  });

  it('in a cwd whose name has byte 0xff: `run -- true` exits 0 and `run -- pwd` prints the raw bytes', async () => {
    const dir = Buffer.concat([Buffer.from(`${tmp}/cwd-`), Buffer.from([0xff, 0xfe])]);
    fs.mkdirSync(dir);
    const env = { ...process.env, D: tmp };
    const cd = `cd "$D/cwd-$(printf '\\377\\376')" || exit 99;`;
    const t = await expectSame(spawnCollect('sh', ['-c', `${cd} exec true`], { env }), spawnCollect('sh', ['-c', `${cd} exec ${CLI} true`], { env }));
    expect(t.exitCode).toBe(0);
    const p = await expectSame(spawnCollect('sh', ['-c', `${cd} exec pwd`], { env }), spawnCollect('sh', ['-c', `${cd} exec ${CLI} pwd`], { env }));
    const real = Buffer.concat([Buffer.from(`${fs.realpathSync(tmp)}/cwd-`), Buffer.from([0xff, 0xfe, 0x0a])]);
    expect(p.stdout.toString('hex')).toBe(real.toString('hex'));
  });
});

interface Detached {
  pid: number;
  stdout: () => string;
  stderr: () => string;
  closeStdin: () => void;
  ended: Promise<Collected>;
}

/** Spawn in a new session/process group (no terminal), stdio piped, stdin left open; killed (group) after killMs. */
function startDetached(file: string, args: string[], killMs = 20_000): Detached {
  const c = startCollect(file, args, { detached: true, keepStdin: true, killMs });
  return { pid: c.child.pid!, stdout: () => c.stdout().toString(), stderr: () => c.stderr().toString(), closeStdin: () => c.child.stdin!.end(), ended: c.ended };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll (up to ms) until pred() holds; returns its last value. */
async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await sleep(20);
  return pred();
}

/** Local ports in LISTEN state (IPv4 and IPv6). */
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[3] === '0A') ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}

describe('signals sent to the CLI', () => {
  it("SIGUSR1 reaches the program and never opens Node's inspector", async () => {
    const before = listeningPorts().has(9229);
    // On USR1 the program prints, then waits for a line on stdin so that the check below runs while it lives.
    const script = `trap 'echo usr1; read x; kill $! 2>/dev/null; exit 0' USR1; echo ready; sleep 30 & wait $!; echo no-signal`;
    const c = startDetached(cli, ['run', '--', 'bash', '-c', script]);
    expect(await until(() => c.stdout().includes('ready\n'), 10_000), c.stderr()).toBe(true);
    process.kill(c.pid, 'SIGUSR1');
    await until(() => c.stdout().includes('usr1\n') || c.stderr().includes('Debugger listening'), 5000);
    // Give a started inspector the chance to show itself either way.
    const inspector = c.stderr().includes('Debugger listening') || (!before && listeningPorts().has(9229));
    c.closeStdin();
    if (!c.stdout().includes('usr1\n')) process.kill(-c.pid, 'SIGKILL');
    const r = await c.ended;
    expect(inspector, `the inspector opened; stderr=${c.stderr()}`).toBe(false);
    expect(c.stderr()).not.toContain('Debugger listening');
    expect({ stdout: c.stdout(), code: r.exitCode, signal: r.signal, hung: r.hung }).toEqual({ stdout: 'ready\nusr1\n', code: 0, signal: null, hung: false });
  });

  it('signal 39 (SIGRTMIN+5) sent to the CLI reaches the program', async () => {
    const script = `trap 'echo rt5; kill $! 2>/dev/null; exit 0' RTMIN+5; echo ready; sleep 30 & wait $!; echo no-signal`;
    const c = startDetached(cli, ['run', '--', 'bash', '-c', script]);
    expect(await until(() => c.stdout().includes('ready\n'), 10_000), c.stderr()).toBe(true);
    process.kill(c.pid, 39);
    if (!(await until(() => c.stdout().includes('rt5\n'), 5000))) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    const r = await c.ended;
    expect({ stdout: c.stdout(), stderr: c.stderr(), code: r.exitCode, signal: r.signal, hung: r.hung }).toEqual({
      stdout: 'ready\nrt5\n',
      stderr: '',
      code: 0,
      signal: null,
      hung: false,
    });
  });

  it('SIGINT sent once to the whole process group reaches the program exactly once (native and supervised)', async () => {
    const once = async (file: string, args: string[]) => {
      const c = startDetached(file, args);
      expect(await until(() => c.stdout().includes('ready\n'), 10_000), c.stderr()).toBe(true);
      process.kill(-c.pid, 'SIGINT');
      const r = await c.ended;
      return { stdout: c.stdout(), stderr: c.stderr(), code: r.exitCode, signal: r.signal, hung: r.hung };
    };
    const native = await once(fixture('sigint_count'), []);
    expect(native).toEqual({ stdout: 'ready\ncount 1\n', stderr: '', code: 0, signal: null, hung: false });
    const supervised = await once(cli, ['run', '--', fixture('sigint_count')]);
    expect(supervised).toEqual(native);
  });
});
