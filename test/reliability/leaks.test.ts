// Reliability: no file descriptor leaks in the supervisor process.
//  - under `ulimit -n 128`, 200 sequential run(['true']) calls all succeed (a
//    child Node process runs them, through the built package, dist/);
//  - 50 cycles of new Supervisor + spawn with stdio 'pipe' + closed + close()
//    leave this process with as many open fds as before.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor } from '../../lib/index.js';
import { asText, root, spawnCollect } from '../helpers.js';

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-leaks-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const openFds = (): string[] => fs.readdirSync('/proc/self/fd');

describe('file descriptors', () => {
  it("ulimit -n 128: 200 sequential run(['true']) calls all succeed", async () => {
    const script = path.join(tmp, 'many-runs.mjs');
    const index = path.join(root, 'dist', 'index.js');
    fs.writeFileSync(
      script,
      `import { run } from ${JSON.stringify(index)};
for (let i = 1; i <= 200; i++) {
  let r;
  try {
    r = await run(['true']);
  } catch (e) {
    console.log('run ' + i + ' threw: ' + (e && e.message));
    process.exit(1);
  }
  if (r.exitCode !== 0 || r.signal !== null) {
    console.log('run ' + i + ': exitCode=' + r.exitCode + ' signal=' + r.signal + ' stderr=' + JSON.stringify(r.stderr));
    process.exit(1);
  }
}
console.log('ok 200');
`,
    );
    const r = asText(await spawnCollect('sh', ['-c', `ulimit -n 128 && exec "$0" "$1"`, process.execPath, script], { stdio: ['ignore', 'pipe', 'pipe'], killMs: 120_000 }));
    expect({ stdout: r.stdout, exitCode: r.exitCode, signal: r.signal, hung: r.hung }, r.stderr).toEqual({ stdout: 'ok 200\n', exitCode: 0, signal: null, hung: false });
  }, 150_000);

  it("50 cycles of spawn(stdio 'pipe') + closed + close(): the same number of open fds as before", async () => {
    const cycle = async () => {
      const sup = new Supervisor();
      try {
        const child = sup.spawn('true', [], { stdio: 'pipe' });
        child.stdin!.on('error', () => {});
        child.stdout!.resume();
        child.stderr!.resume();
        const r = await child.closed;
        expect({ exitCode: r.exitCode, signal: r.signal }).toEqual({ exitCode: 0, signal: null });
      } finally {
        await sup.close();
      }
    };
    await cycle(); // one-time initialisation (tracer machinery, libuv handles) is not a leak
    const before = openFds();
    for (let i = 0; i < 50; i++) await cycle();
    // Closed handles are released on later turns of the event loop: give them up to 2 s.
    let after = openFds();
    for (let i = 0; i < 100 && after.length > before.length; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = openFds();
    }
    const leaked = after.filter((fd) => !before.includes(fd)).map((fd) => {
      try {
        return `${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`;
      } catch {
        return fd;
      }
    });
    expect({ count: after.length, leaked: leaked.slice(0, 10) }).toEqual({ count: before.length, leaked: [] });
  }, 60_000);
});

describe('memory', () => {
  // Issue 7 item 13: closed Supervisors were never collected (the
  // notification listener's callbacks, strong native references, closed
  // over them). Runs in a child Node with --expose-gc: a FinalizationRegistry
  // must see every one of them go after close().
  it('closed Supervisors are garbage-collected (both routes, with pipes)', async () => {
    const script = path.join(tmp, 'gc.mjs');
    const index = path.join(root, 'dist', 'index.js');
    fs.writeFileSync(
      script,
      `import { Supervisor } from ${JSON.stringify(index)};
let collected = 0;
const registry = new FinalizationRegistry(() => collected++);
const N = 20;
async function one(i) {
  const sup = new Supervisor({ route: i % 2 ? 'ptrace' : 'auto', modules: [{ name: 'm', syscalls: { getpmsg: () => 7 } }] });
  const child = sup.spawn('true', [], { stdio: 'pipe' });
  child.stdout.resume();
  child.stderr.resume();
  await child.closed;
  await sup.close();
  registry.register(sup, i);
}
for (let i = 0; i < N; i++) await one(i);
for (let round = 0; round < 20 && collected < N; round++) {
  await new Promise((r) => setTimeout(r, 50));
  globalThis.gc();
}
console.log('collected ' + collected + ' of ' + N);
`,
    );
    // The kill timer only cleans up after the test's own 60 s timeout.
    const r = (await spawnCollect(process.execPath, ['--expose-gc', script], { stdio: ['ignore', 'pipe', 'inherit'], killMs: 60_000 })).stdout.toString().trim();
    expect(r).toBe('collected 20 of 20');
  }, 60_000);
});
