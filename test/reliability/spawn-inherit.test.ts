// The library's spawn: bytes, extra fds, closed fds, dispositions and mask,
// execvp's ENOEXEC rule; each checked against what child_process/the kernel
// give natively (issue 7, items 8-11 and 16).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../lib/index.js';

async function collect(sup: Supervisor, file: string | Uint8Array, args: (string | Uint8Array)[], opts: Parameters<Supervisor['spawn']>[2] = {}) {
  const child = sup.spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  const r = await child.closed;
  return { ...r, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() };
}

function statusLines(text: string): string {
  return text.split('\n').filter((l) => /^Sig(Ign|Blk):/.test(l)).join('\n');
}

describe('spawn passes the program what it is given, and nothing else', () => {
  it('extra fds from index 3 on (a number, inherit), like child_process stdio arrays', async () => {
    const fd = fs.openSync('/etc/hostname', 'r');
    const fd2 = fs.openSync('/etc/hostname', 'r');
    const hostname = fs.readFileSync('/etc/hostname');
    const sup = new Supervisor();
    try {
      const r = await collect(sup, 'sh', ['-c', 'cat <&3; cat <&7'], { stdio: ['ignore', 'pipe', 'pipe', fd, null, null, null, fd2] });
      expect(r.stderr).toBe('');
      expect(r.stdout).toEqual(Buffer.concat([hostname, hostname]));
      // Not passed: fd 4 is closed for the program.
      const r2 = await collect(sup, 'sh', ['-c', 'cat <&4'], { stdio: ['ignore', 'pipe', 'pipe', fd] });
      expect(r2.exitCode).not.toBe(0);
      expect(r2.stderr).toMatch(/4/);
    } finally {
      fs.closeSync(fd);
      fs.closeSync(fd2);
      await sup.close();
    }
  });

  it("'closed' closes a standard fd: the program's write gets EBADF, as with >&- natively", async () => {
    const native = spawnSync('bash', ['-c', "bash -c 'echo hi; echo $? >&2' >&-"]).stderr.toString().trim().split('\n').at(-1);
    const sup = new Supervisor();
    try {
      const r = await collect(sup, 'bash', ['-c', 'echo hi; echo $? >&2'], { stdio: ['ignore', 'closed', 'pipe'] });
      expect(native).toBe('1');
      expect(r.stderr.trim().split('\n').at(-1)).toBe(native);
    } finally {
      await sup.close();
    }
  });

  it('signals: { ignore, block } sets the dispositions and mask the program starts with', async () => {
    const native = statusLines(execFileSync('python3', ['-c', `
import signal, subprocess
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
print(subprocess.run(['cat', '/proc/self/status'], capture_output=True, text=True).stdout)`]).toString());
    const sup = new Supervisor();
    try {
      const r = await collect(sup, 'cat', ['/proc/self/status'], { signals: { ignore: ['SIGHUP'], block: ['SIGUSR1'] } });
      expect(native).toMatch(/SigIgn:\s+0+1\b/);
      expect(statusLines(r.stdout.toString())).toBe(native);
      const plain = await collect(sup, 'cat', ['/proc/self/status']);
      expect(statusLines(plain.stdout.toString())).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000');
    } finally {
      await sup.close();
    }
  });

  it('bytes that are not UTF-8 pass unchanged: args, env, the program path, cwd', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-bytes-'));
    const odd = Buffer.concat([Buffer.from(dir + '/d'), Buffer.from([0xff, 0xfe])]);
    fs.mkdirSync(odd);
    const prog = Buffer.concat([odd, Buffer.from('/tr'), Buffer.from([0xff]), Buffer.from('ue')]);
    fs.copyFileSync('/bin/true', prog);
    fs.chmodSync(prog, 0o755);
    const sup = new Supervisor();
    try {
      const arg = Buffer.from([0xff, 0xfe, 0x41]);
      const r = await collect(sup, 'printf', ['%s', arg]);
      expect(r.stdout).toEqual(arg);
      const env = await collect(sup, 'sh', ['-c', 'printf %s "$V"'], { rawEnv: [Buffer.concat([Buffer.from('V='), arg]), Buffer.from('PATH=/usr/bin:/bin')] });
      expect(env.stdout).toEqual(arg);
      expect((await collect(sup, prog, [])).exitCode).toBe(0);
      const pwd = await collect(sup, '/bin/pwd', ['-P'], { cwd: odd });
      expect(pwd.stdout).toEqual(Buffer.concat([odd, Buffer.from('\n')]));
    } finally {
      await sup.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a script without #! runs with /bin/sh, as execvp runs it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-noshebang-'));
    const script = path.join(dir, 'script');
    fs.writeFileSync(script, 'echo "ran $1"\n', { mode: 0o755 });
    const native = execFileSync('sh', ['-c', `"${script}" x`]).toString();
    const sup = new Supervisor();
    try {
      const r = await collect(sup, script, ['x']);
      expect(native).toBe('ran x\n');
      expect(r.stdout.toString()).toBe(native);
      expect(r.exitCode).toBe(0);
    } finally {
      await sup.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('spawn after close() throws ERR_SUPERVISOR_CLOSED', async () => {
    const sup = new Supervisor();
    await sup.close();
    expect(() => sup.spawn('true')).toThrow(expect.objectContaining({ code: 'ERR_SUPERVISOR_CLOSED' }));
  });
});
