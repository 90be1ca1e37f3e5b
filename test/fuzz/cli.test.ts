// Fuzzing the CLI's argument parser (issue 8): generated `sysstub run`
// argument vectors (every option, good and bad values, -e/--inject/--fault
// expressions from the grammar and mutations of them, trace sets, module
// references, unknown options, missing values). In-process, thousands of
// them go through the real lib/cli.ts main() with only the program's spawn
// faked (the Supervisor's spawn/close/relaySignals, the addon's signal
// holding): every option check, module load and expression parse is the
// CLI's own. Then a few dozen of the same kind through the real command
// (node bin/sysstub.js run ARGS -- true). Either way: exit 0 or 2, never a
// crash, a stack trace or a hang; on 2 a first stderr line "sysstub: ..."
// naming the bad input (a bad -e expression adds itself and a caret;
// commander adds "Try 'sysstub --help'."), and both agree.
//
// Fixed seeds and numRuns: a failure prints "seed: N, path: ..." to rerun it.
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, runNative } from '../helpers.js';

export const RUNS = { inProcess: 2500, spawned: 24 } as const;

vi.mock('../../lib/native.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../lib/native.js')>();
  const fake = { holdSignals() {}, killSelfWith() {} };
  return { ...orig, native: () => fake };
});
vi.mock('../../lib/supervisor.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../lib/supervisor.js')>();
  /** The real Supervisor (its option checks, table, modules) without a tracer: the program "exits 0". */
  class Supervisor extends orig.Supervisor {
    override spawn(): never {
      this.table.freeze({ forcePtrace: this.routeOption === 'ptrace', sealConstants: this.sealConstants });
      const result = { exitCode: 0, signal: null, signalNumber: null, coreDumped: false };
      return { exited: Promise.resolve(result), closed: Promise.resolve(result), exitResult: result } as never;
    }
    override relaySignals(): boolean { return true; }
    override async close(): Promise<void> {}
    override get liveProcesses(): number { return 0; }
  }
  return { ...orig, Supervisor };
});

const { main } = await import('../../lib/cli.js');

let dir: string;
const files: Record<string, string> = {};
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-fuzz-cli-'));
  const sources: Record<string, string> = {
    'good.mjs': "export default { name: 'good', syscalls: { 400: () => 0 } };",
    'factory.mjs': "export default () => ({ name: 'factory', syscalls: { getpmsg: { errno: 'EPERM' } } });",
    'shape.mjs': 'export default 5;',
    'throws.mjs': "throw new Error('at import');",
    'dup.mjs': "export default { name: 'dup', syscalls: { getpmsg: () => 0, 181: () => 1 } };",
    'typo.mjs': "export default { name: 'typo', syscalls: { getpmgs: () => 0 } };",
    'unknownkey.mjs': "export default { name: 'uk', syscalls: {}, timout: 5 };",
    'badfactory.mjs': "export default () => { throw null; };",
  };
  for (const [f, src] of Object.entries(sources)) fs.writeFileSync((files[f] = path.join(dir, f)), src);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------
// Argument vectors
// ---------------------------------------------------------------------------

/** Sets a program as small as `true` never calls: an injection there changes nothing. */
const HARMLESS_SETS = ['getpmsg', 'putpmsg', 'uselib', 'tuxcall', '400', 'syscall_500', 'none', '?nosuch', 'afs_syscall,security', '/^getpms', '%%statfs', 'ustat'];
const ANY_SETS = [...HARMLESS_SETS, 'all', '!read', 'read,write', '%file', 'opnat', '', '5000', '/(', '%fiel', '!', 'uretprobe', 'all,/^r'];
const keyValues = fc.constantFrom(
  'error=EPERM', 'error=5', 'error=ENOPE', 'error=0', 'retval=0x10', 'retval=-1', 'retval=18446744073709551616', 'signal=SIGUSR1', 'signal=9', 'signal=NOPE',
  'delay_enter=10us', 'delay_exit=1ms', 'delay_enter=5minutes', 'when=2+', 'when=1..3+2', 'when=0', 'nth=1,3', 'nth=0', 'path=/etc/*', 'path=', 'fd=-100', 'fd=x',
  'arg0=0x1', 'arg2&0100', 'arg6=1', 'set_arg0=2', 'set_arg1&3', 'eror=EIO', 'error', 'syscall=getpid', 'poke_enter=1', '',
);
const expr = (sets: string[]) => fc.tuple(fc.constantFrom(...sets), fc.array(keyValues, { maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...':=,+.&!%x0'.split(''))), { maxLength: 1 }))
  .map(([set, kvs, edits]) => {
    let t = [set, ...kvs].join(':');
    for (const [pos, ch] of edits) { const i = pos % (t.length + 1); t = t.slice(0, i) + ch + t.slice(i); }
    return t;
  });
const numbers = fc.constantFrom('0', '1', '40', '2147483647', '2147483648', '-1', '0x10', '1e3', '1.5', 'x', '', '99999999999999999999');

function options(safe: boolean): fc.Arbitrary<string[]> {
  const sets = safe ? HARMLESS_SETS : ANY_SETS;
  const e = expr(sets);
  const mod = fc.constantFrom('streams', 'faults', 'nosuch', '/nonexistent/m.mjs', 'good.mjs', 'factory.mjs', 'shape.mjs', 'throws.mjs', 'dup.mjs', 'typo.mjs', 'unknownkey.mjs', 'badfactory.mjs');
  return fc.oneof(
    mod.map((m) => ['-m', m in files || m.endsWith('.mjs') && !m.startsWith('/') ? files[m] ?? path.join(os.tmpdir(), m) : m]),
    fc.constantFrom('getpmsg', '400', '1023', '1024', '-1', 'bogus', 'uretprobe', 'read', 'syscall_500', '', '0x10').map((s) => ['--stub', s]),
    e.map((x) => ['-e', `inject=${x}`]), e.map((x) => ['-e', `fault=${x}`]), e.map((x) => ['--inject', x]), e.map((x) => ['--fault', x]),
    fc.constantFrom(...ANY_SETS).map((s) => ['-e', `trace=${s}`]), fc.constantFrom(...ANY_SETS).map((s) => ['--trace', s]),
    fc.constantFrom('abbrev=all', 'verbose=none', 'bogus', 'trace', 'inject', '=x', 'signal=all').map((x) => ['-e', x]),
    numbers.map((n) => ['-s', n]), numbers.map((n) => ['-a', n]),
    fc.constantFrom<string[]>(['-c'], ['-t'], ['-tt'], ['-T'], ['-f'], ['-q'], ['-qq'], ['--json'], ['-v'], ['--seal-constants'], ['-cT'], ['-ft']),
    fc.constantFrom('text', 'jsonl', 'xml', '').map((f) => ['--format', f]),
    fc.constantFrom('auto', 'ptrace', 'notif', '').map((r) => ['--route', r]),
    fc.constantFrom('1', '10000', 'none', '0', '00', '-5', '1e3', '99999999999999', '99999999999999999999', '').map((t) => ['--handler-timeout', t]),
    fc.constantFrom<string[]>(['--bogus'], ['-Z'], ['--stub'], ['-m'], ['--', '-e'], ['--help=x'], ['--route=ptrace'], ['--inject=getpmsg:error=EIO']),
  );
}

/** `run OPTIONS... [-o FILE] -- PROG`; in-process the program can be anything, spawned it is `true`. */
function argv(safe: boolean, out: string): fc.Arbitrary<string[]> {
  return fc.tuple(fc.array(options(safe), { maxLength: 5 }), fc.constantFrom(out, '/nonexistent/dir/trace.txt'), fc.constantFrom('true', ''), fc.boolean())
    .map(([opts, o, prog, dashes]) => ['run', ...opts.flat(), '-o', o, ...(dashes ? ['--'] : []), prog]);
}

// ---------------------------------------------------------------------------

type Outcome = { code: number | undefined; stderr: string };

/** main() in this process, with process.exit, exitCode and stderr caught. */
async function inProcess(args: string[]): Promise<Outcome> {
  let stderr = '';
  let code: number | undefined;
  const listeners = process.listeners('unhandledRejection');
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const exit = vi.spyOn(process, 'exit').mockImplementation(((c?: number) => { code ??= c ?? 0; }) as never);
  const saved = process.exitCode;
  try {
    process.exitCode = undefined;
    await main(['node', 'sysstub', ...args]);
    code ??= typeof process.exitCode === 'number' ? process.exitCode : 0;
  } finally {
    process.exitCode = saved;
    write.mockRestore();
    exit.mockRestore();
    for (const l of process.listeners('unhandledRejection')) if (!listeners.includes(l)) process.off('unhandledRejection', l);
  }
  return { code, stderr };
}

function expectUsage(o: Outcome, args: string[]): void {
  const what = JSON.stringify(args);
  expect([0, 2], `${what}: exit ${o.code}\n${o.stderr}`).toContain(o.code);
  expect(o.stderr, what).not.toMatch(/^\s+at /m);
  if (o.code !== 2) return;
  const lines = o.stderr.split('\n').filter((l) => l !== '');
  expect(lines[0], what).toMatch(/^sysstub: \S/);
  if (lines.length > 1) {
    // A bad expression: itself and a caret under the bad part; commander: a hint.
    const rest = lines.slice(1);
    const hint = rest.at(-1) === "Try 'sysstub --help'." && (rest.length === 1 || (rest.length === 2 && /^\(Did you mean .*\?\)$/.test(rest[0])));
    const ok = hint || (rest.length === 2 && /^ {2}/.test(rest[0]) && /^ +\^$/.test(rest[1]));
    expect(ok, `${what}:\n${o.stderr}`).toBe(true);
  }
}

describe('sysstub run: generated argument vectors', () => {
  it(`in-process (lib/cli.ts main, the spawn faked): exit 0 or 2, one "sysstub: ..." line on 2, never a stack trace (${RUNS.inProcess} vectors)`, async () => {
    const out = path.join(dir, 'trace.txt');
    const codes = new Map<number | undefined, number>();
    await fc.assert(fc.asyncProperty(argv(false, out), async (args) => {
      const o = await inProcess(args);
      codes.set(o.code, (codes.get(o.code) ?? 0) + 1);
      expectUsage(o, args);
    }), { seed: 0xc11, numRuns: RUNS.inProcess });
    // Both kinds of outcome were reached.
    expect(codes.get(0) ?? 0).toBeGreaterThan(50);
    expect(codes.get(2) ?? 0).toBeGreaterThan(50);
  }, 120_000);

  it(`the real command (node bin/sysstub.js run ... true): exit 0 or 2, as in-process (${RUNS.spawned} vectors)`, async () => {
    const out = path.join(dir, 'trace-real.txt');
    const codes = new Map<number | undefined, number>();
    await fc.assert(fc.asyncProperty(argv(true, out), async (args) => {
      const r = await runNative(process.execPath, [cli, ...args], { timeoutMs: 20_000 });
      const real: Outcome = { code: r.exitCode ?? undefined, stderr: r.stderr };
      expect(r.signal, JSON.stringify(args)).toBeNull();
      expectUsage(real, args);
      const mine = await inProcess(args);
      expect(real.code, `${JSON.stringify(args)}\nreal: ${real.stderr}\nin-process: ${mine.stderr}`).toBe(mine.code);
      if (real.code === 2) expect(real.stderr.split('\n')[0]).toBe(mine.stderr.split('\n')[0]);
      codes.set(real.code, (codes.get(real.code) ?? 0) + 1);
    }), { seed: 0xc12, numRuns: RUNS.spawned });
    expect(codes.get(0) ?? 0).toBeGreaterThan(0);
    expect(codes.get(2) ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
