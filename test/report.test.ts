// The stub report: `run --report[=FILE] [--json]`, run(..., { report: true })
// and `table --report FILE`, on test/fixtures/stub_probe.c, which calls stub
// and unassigned numbers a known number of times (some from a forked child)
// and prints what each got. The report must not change what the program sees:
// each run is compared with the program run natively.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, streams, Supervisor, type StubReport, type StubReportRow } from '../lib/index.js';
import { fixture, ROUTES, runCli, runNative } from './helpers.js';

const probe = fixture('stub_probe');

/** Calls per slot that stub_probe makes (parent + child); 2000 is above the table and never trapped. */
const COUNTS: Record<number, number> = { 181: 3, 182: 2, 183: 1, 184: 3, 185: 1, 400: 3, 500: 1, 1000: 1 };
const NAMES: Record<number, string> = { 181: 'getpmsg', 182: 'putpmsg', 183: 'afs_syscall', 184: 'tuxcall', 185: 'security', 400: 'syscall_400', 500: 'syscall_500', 1000: 'syscall_1000' };
/** Distinct argument vectors per slot: one per call index (the child's calls repeat the parent's first ones). */
const SAMPLES: Record<number, number> = { 181: 2, 182: 1, 183: 1, 184: 3, 185: 1, 400: 2, 500: 1, 1000: 1 };
/** The report's order: most calls first, then by number. */
const ORDER = [181, 184, 400, 182, 183, 185, 500, 1000];

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-report-'));
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

/** The program's own output natively: the oracle every supervised run is held to. */
async function native() {
  const r = await runNative(probe);
  expect(r.exitCode).toBe(0);
  return r;
}

/** The report's rows for the slots sysstub answered (not the kernel's). */
const ours = (r: StubReport) => r.rows.filter((x) => !x.kernel);

/** The rows a run without modules gives: every call ENOSYS, from stub_probe only. */
function expectPlainRows(rows: StubReportRow[]): void {
  expect(rows.map((x) => x.nr)).toEqual(ORDER);
  for (const row of rows) {
    expect(row).toMatchObject({
      name: NAMES[row.nr], status: row.nr >= 400 ? 'unassigned' : 'stub', kernel: false, count: COUNTS[row.nr],
      answeredBy: [{ module: null, errno: 'ENOSYS', count: COUNTS[row.nr] }],
      executables: [probe],
    });
    // Each call is syscall(nr, -1, i, nr, 0, 0, 0), i its index in its process.
    expect(row.samples[0]).toEqual(['0xffffffffffffffff', '0x0', `0x${row.nr.toString(16)}`, '0x0', '0x0', '0x0']);
    expect(row.samples).toHaveLength(SAMPLES[row.nr]);
  }
}

describe('stub_probe natively', () => {
  it('gets ENOSYS for every stub and unassigned number, and EOPNOTSUPP from listen(2) on UDP', async () => {
    const r = await native();
    const ls = lines(r.stdout);
    expect(ls).toContain('parent listen = -1 EOPNOTSUPP');
    const probes = ls.filter((l) => !l.includes('listen'));
    expect(probes.every((l) => / = -1 ENOSYS$/.test(l))).toBe(true);
    const per = new Map<number, number>();
    for (const l of probes) per.set(Number(l.split(' ')[1]), (per.get(Number(l.split(' ')[1])) ?? 0) + 1);
    expect(Object.fromEntries(per)).toEqual({ ...COUNTS, 2000: 1 });
  });
});

describe('sysstub run --report', () => {
  for (const route of ROUTES) {
    it(`--report=FILE --json (route ${route}): the program's output as natively; exact counts per slot, the executable, samples`, async () => {
      const want = await native();
      const file = path.join(tmp(), 'r.json');
      const r = await runCli(['run', '--route', route, `--report=${file}`, '--json', '--', probe]);
      // --json is the report's format here: no trace on stderr.
      expect(r).toEqual({ ...want, stderr: '' });
      const report = JSON.parse(fs.readFileSync(file, 'utf8')) as StubReport;
      expect(report.version).toBe(1);
      expect(report.rows.every((x) => !x.kernel)).toBe(true); // nothing traced
      expectPlainRows(report.rows);
    });
  }

  it('--report alone prints a table on stderr at exit, sorted by calls; stdout is the program\'s own', async () => {
    const want = await native();
    // A bare --report never takes the next word as its FILE: PROG follows it here.
    const r = await runCli(['run', '--report', probe]);
    expect(r.stdout).toBe(want.stdout);
    expect(r.exitCode).toBe(0);
    const ls = lines(r.stderr);
    expect(ls[0]).toBe('sysstub: stub report: 15 calls to 8 stub or unassigned slots');
    expect(ls[1]).toMatch(/^NR\s+NAME\s+STATUS\s+CALLS\s+ANSWERED BY\s+EXECUTABLES\s+SAMPLE ARGS$/);
    expect(ls.slice(2).map((l) => Number(l.split(/\s+/)[0]))).toEqual(ORDER);
    const esc = probe.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    expect(ls[2]).toMatch(new RegExp(`^181\\s+getpmsg\\s+stub\\s+3\\s+ENOSYS\\s+${esc}\\s+0xffffffffffffffff 0x0 0xb5 0x0 0x0 0x0 \\(\\+1 more\\)$`));
    expect(r.stderr).toMatch(/^400\s+syscall_400\s+unassigned\s+3\s+ENOSYS\s/m);
    expect(r.stderr).not.toMatch(/^2000\s/m);
  });

  it('-m streams: answeredBy names the module on getpmsg/putpmsg, ENOSYS elsewhere; the program sees what it sees without the report', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.json');
    const plain = await runCli(['run', '-m', 'streams', '--', probe]);
    const r = await runCli(['run', '-m', 'streams', `--report=${file}`, '--json', '--', probe]);
    expect(r).toEqual(plain);
    // streams fails fd -1 with EBADF.
    expect(lines(r.stdout).filter((l) => / 18[12] = /.test(l)).every((l) => l.endsWith('-1 EBADF'))).toBe(true);
    const rows = (JSON.parse(fs.readFileSync(file, 'utf8')) as StubReport).rows;
    expect(rows.find((x) => x.nr === 181)).toMatchObject({ count: 3, answeredBy: [{ module: 'streams', errno: 'EBADF', count: 3 }], executables: [probe] });
    expect(rows.find((x) => x.nr === 182)).toMatchObject({ count: 2, answeredBy: [{ module: 'streams', errno: 'EBADF', count: 2 }] });
    expect(rows.find((x) => x.nr === 183)).toMatchObject({ count: 1, answeredBy: [{ module: null, errno: 'ENOSYS', count: 1 }] });
  });

  it('injected and counted constants are still what the program gets (not sealed, not answered natively, yet the same)', async () => {
    const file = path.join(tmp(), 'r.json');
    const exprs = ['-e', 'inject=getpmsg:error=EPERM', '-e', 'inject=tuxcall:error=EACCES:when=2'];
    const plain = await runCli(['run', ...exprs, '--', probe]);
    expect(plain.stdout).toContain('parent 181 = -1 EPERM');
    const r = await runCli(['run', ...exprs, `--report=${file}`, '--json', '--', probe]);
    expect(r).toEqual(plain);
    const rows = (JSON.parse(fs.readFileSync(file, 'utf8')) as StubReport).rows;
    expect(rows.find((x) => x.nr === 181)!.answeredBy).toEqual([{ module: 'inject', errno: 'EPERM', count: 3 }]);
    expect(rows.find((x) => x.nr === 184)!.answeredBy).toEqual([
      { module: null, errno: 'ENOSYS', count: 2 },
      { module: 'inject', errno: 'EACCES', count: 1 },
    ]);
  });

  it('-e trace=: kernel rows for the real calls the kernel failed EOPNOTSUPP; a traced stub slot stays one of ours', async () => {
    const want = await native();
    const dir = tmp();
    const file = path.join(dir, 'r.json');
    // The ptrace route: listen's trace event reaches the counter before the
    // parent's next (trapped) call is answered, so its executable is still there.
    const r = await runCli(['run', '--route', 'ptrace', '-e', 'trace=listen,getpmsg', '-o', path.join(dir, 'trace'), `--report=${file}`, '--json', '--', probe]);
    expect(r).toEqual({ ...want, stderr: '' });
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as StubReport;
    expectPlainRows(ours(report));
    expect(report.rows.filter((x) => x.kernel)).toEqual([{
      nr: 50, name: 'listen', status: 'implemented', kernel: true, count: 1,
      answeredBy: [{ module: null, errno: 'EOPNOTSUPP', count: 1 }], executables: [probe], samples: [expect.any(Array)],
    }]);
    expect(fs.readFileSync(path.join(dir, 'trace'), 'utf8')).toMatch(/listen\(.*= -1 EOPNOTSUPP/);
  });

  it('the text report has a section for the kernel\'s answers', async () => {
    const r = await runCli(['run', '--route', 'ptrace', '-e', 'trace=listen', '-o', '/dev/null', '--report', '--', probe]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^sysstub: traced calls the kernel answered ENOSYS or EOPNOTSUPP:\nNR\s+NAME.*\n50\s+listen\s+implemented\s+1\s+kernel EOPNOTSUPP\s/m);
  });

  it('a program that calls none: an empty report; the program\'s own arguments are its own (--report=x among them)', async () => {
    const r = await runCli(['run', '--report', '--', 'echo', '--report=x', '--report']);
    expect(r).toEqual({ stdout: '--report=x --report\n', stderr: 'sysstub: stub report: no stub or unassigned slot was called\n', exitCode: 0, signal: null });
  });

  it('with every real call traced too, the filter still fits (the report\'s slots make few runs)', async () => {
    const want = await native();
    const dir = tmp();
    const r = await runCli(['run', '--route', 'ptrace', '-e', 'trace=all', '-o', path.join(dir, 'trace'), `--report=${path.join(dir, 'r.json')}`, '--json', '--', probe]);
    expect(r).toEqual({ ...want, stderr: '' });
    expectPlainRows(ours(JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8')) as StubReport));
  });

  it('a FILE that cannot be written: one line, exit 2, the program not run', async () => {
    const r = await runCli(['run', '--report=/nonexistent/dir/r.json', '--', probe]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^sysstub: --report=\/nonexistent\/dir\/r\.json: ENOENT/)]);
    const e = await runCli(['run', '--report=', '--', probe]);
    expect(e.exitCode).toBe(2);
    expect(lines(e.stderr)).toEqual(['sysstub: --report=: FILE is empty (--report alone prints the report on stderr)']);
  });
});

describe('sysstub table --report FILE', () => {
  interface Row { nr: number; name: string; native: string; wired: boolean; modules: string[]; builtin: string[]; calls: number }

  async function savedReport(): Promise<string> {
    const file = path.join(tmp(), 'r.json');
    const r = await runCli(['run', `--report=${file}`, '--json', '--', probe]);
    expect(r.exitCode).toBe(0);
    return file;
  }

  it('--json: the most-called slots no module fills first, then the filled ones, then the rest by number', async () => {
    const file = await savedReport();
    const r = await runCli(['table', '--report', file, '--json']);
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    // getpmsg/putpmsg are filled by the built-in streams module: after the unfilled ones.
    expect(rows.slice(0, 8).map((x) => [x.nr, x.calls])).toEqual([[184, 3], [400, 3], [183, 1], [185, 1], [500, 1], [1000, 1], [181, 3], [182, 2]]);
    expect(rows.find((x) => x.nr === 181)).toMatchObject({ builtin: ['streams'], modules: [] });
    expect(rows.find((x) => x.nr === 400)).toMatchObject({ name: 'syscall_400', native: 'unassigned', calls: 3 });
    const rest = rows.slice(8);
    expect(rest.every((x) => x.calls === 0)).toBe(true);
    expect(rest.map((x) => x.nr)).toEqual(rest.map((x) => x.nr).sort((a, b) => a - b));
    expect(rows.find((x) => x.nr === 0)).toMatchObject({ name: 'read', calls: 0 });
  });

  it('-m loads count as filling: with -m ./mod filling tuxcall, it moves down', async () => {
    const file = await savedReport();
    const dir = tmp();
    const mod = path.join(dir, 'tux.mjs');
    fs.writeFileSync(mod, "export default { name: 'tux', syscalls: { tuxcall: () => 0 } };\n");
    const r = await runCli(['table', '-m', mod, '--report', file, '--json']);
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.slice(0, 8).map((x) => x.nr)).toEqual([400, 183, 185, 500, 1000, 181, 184, 182]);
  });

  it('text: a CALLS column, the to-do list on top', async () => {
    const file = await savedReport();
    const r = await runCli(['table', '--report', file]);
    expect(r.exitCode).toBe(0);
    const ls = lines(r.stdout);
    expect(ls[0]).toMatch(/^NR\s+NAME\s+NATIVE\s+WIRED\s+MODULES\s+BUILTIN\s+CALLS$/);
    expect(ls[1]).toMatch(/^184\s+tuxcall\s+ENOSYS\s+yes\s+-\s+-\s+3$/);
    expect(ls[2]).toMatch(/^400\s+syscall_400\s+unassigned\s+-\s+-\s+-\s+3$/);
    expect(ls[7]).toMatch(/^181\s+getpmsg\s+ENOSYS\s+yes\s+-\s+streams\s+3$/);
  });

  const bad: [string, (dir: string) => string, RegExp][] = [
    ['missing', (d) => path.join(d, 'none.json'), /: no such file$/],
    ['a directory', (d) => d, /: is a directory$/],
    ['not JSON (the text report)', (d) => write(d, 'sysstub: stub report: no stub or unassigned slot was called\n'), /: not JSON \(.*\); save the report with --report=FILE --json$/],
    ['JSON but not a report', (d) => write(d, '[1, 2]'), /: not a stub report: expected an object \{ "version": 1, "rows": \[\.\.\.\] \}$/],
    ['another version', (d) => write(d, '{"version": 2, "rows": []}'), /: version 2 is not one this sysstub reads \(1\)$/],
    ['a row without a count', (d) => write(d, '{"version": 1, "rows": [{"nr": 181, "name": "getpmsg", "kernel": false, "answeredBy": [], "executables": []}]}'), /: rows\[0\]\.count: expected a whole number >= 0, got nothing$/],
    ['a number out of the table', (d) => write(d, '{"version": 1, "rows": [{"nr": 5000, "name": "x", "count": 1, "kernel": false, "answeredBy": [], "executables": []}]}'), /: rows\[0\]\.nr: expected a syscall number 0\.\.1023, got 5000$/],
  ];
  function write(dir: string, text: string): string {
    const f = path.join(dir, 'r.json');
    fs.writeFileSync(f, text);
    return f;
  }
  for (const [what, make, message] of bad) {
    it(`a FILE that is ${what}: one line naming it, exit 2`, async () => {
      const file = make(tmp());
      const r = await runCli(['table', '--report', file]);
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toBe('');
      const ls = lines(r.stderr);
      expect(ls).toHaveLength(1);
      expect(ls[0].startsWith(`sysstub: --report ${file}: `)).toBe(true);
      expect(ls[0]).toMatch(message);
    });
  }

  it('--report without FILE is a usage error', async () => {
    const r = await runCli(['table', '--report']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^sysstub: option '--report <file>' argument missing\n/);
  });
});

describe('run(cmd, { report: true })', () => {
  for (const route of ROUTES) {
    it(`result.report has the rows (route ${route}); the program's output is its native one`, async () => {
      const want = await native();
      const r = await run([probe], { report: true, route });
      expect(r.stdout).toBe(want.stdout);
      expect(r.exitCode).toBe(0);
      expect(r.report!.version).toBe(1);
      expectPlainRows(r.report!.rows);
    });
  }

  it('with streams, and a trace: answeredBy and the kernel rows', async () => {
    const r = await run([probe], { report: true, modules: [streams()], trace: 'listen', route: 'ptrace' });
    expect(r.exitCode).toBe(0);
    expect(r.report!.rows.find((x) => x.nr === 181)!.answeredBy).toEqual([{ module: 'streams', errno: 'EBADF', count: 3 }]);
    expect(r.report!.rows.filter((x) => x.kernel).map((x) => [x.name, x.count, x.answeredBy[0].errno, x.executables])).toEqual([['listen', 1, 'EOPNOTSUPP', [probe]]]);
  });

  it('without the option there is no report; a bad value is a TypeError naming it', async () => {
    const r = await run(['true']);
    expect(r.report).toBeUndefined();
    await expect(run(['true'], { report: 'yes' as unknown as boolean })).rejects.toThrow(/report must be true or false, got yes/);
    expect(() => new Supervisor({ report: 1 as unknown as boolean })).toThrow(TypeError);
  });

  it('Supervisor.stubReport() is undefined without the option', async () => {
    await using sup = new Supervisor();
    expect(sup.stubReport()).toBeUndefined();
  });
});
