// The CLI's startup snapshot (scripts/snapshot.mjs, lib/snapshot.ts,
// bin/sysstub.js): npm install builds it for this node; the `sysstub` command
// starts from it and behaves exactly as when it starts from its modules; a
// snapshot that does not fit (another directory, another node, a dist/ built
// after it) is passed over, never run. Which way sysstub started is read from
// its own command line, /proc/PPID/cmdline of the program it runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, fixture, root, runNative } from './helpers.js';
import { onlyIf } from './probes.js';

const canSnapshot = Boolean(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER);
const needsSnapshot = onlyIf(canSnapshot, `node ${process.version} cannot import() from a startup snapshot (needs >= 20.12)`);

// The node the suite runs on first on PATH: the one the snapshot was built by.
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  LC_ALL: 'C',
  ...extra,
});
const parentCmdline = ['run', '--', 'sh', '-c', 'tr "\\0" " " </proc/$PPID/cmdline'];
const startedFromSnapshot = async (bin: string, extra: NodeJS.ProcessEnv = {}): Promise<boolean> => {
  const r = await runNative(bin, parentCmdline, { env: env(extra) });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.includes(' --snapshot-blob ');
};

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-snapshot-'));
  fs.writeFileSync(
    path.join(tmp, 'answer.mjs'),
    "process.stderr.write(`execArgv ${JSON.stringify(process.execArgv)}\\n`);\nexport default { name: 'answer', syscalls: { getpmsg: () => 42 } };\n",
  );
  fs.writeFileSync(path.join(tmp, 'typed.ts'), "enum Reply { Value = 43 }\nexport default { name: 'typed', syscalls: { getpmsg: (): number => Reply.Value } };\n");
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the startup snapshot', () => {
  needsSnapshot.it('is built for this node and this directory', () => {
    const blob = path.join(root, 'dist', 'cli-bundle.blob');
    expect(fs.statSync(blob).size).toBeGreaterThan(1 << 20);
    expect(fs.readFileSync(`${blob}.for`, 'utf8')).toBe(`${fs.realpathSync(process.execPath)}\n${fs.realpathSync(root)}\n`);
  });

  needsSnapshot.it('the sysstub command starts from it; SYSSTUB_NO_SNAPSHOT=1 starts it from the modules', async () => {
    expect(await startedFromSnapshot(cli)).toBe(true);
    expect(await startedFromSnapshot(cli, { SYSSTUB_NO_SNAPSHOT: '1' })).toBe(false);
  });

  const same: [string, string[]][] = [
    ['--version', ['--version']],
    ['--help', ['--help']],
    ['run --help', ['run', '--help']],
    ['a usage error', ['run', '--bogus', '--', 'true']],
    ['a missing program', ['run', '--', path.join(os.tmpdir(), 'sysstub-no-such-program')]],
    ['a module file, which sees no --snapshot-blob in execArgv', ['run', '-m', 'MOD/answer.mjs', '--', fixture('stubcall'), '181']],
    ['a TypeScript module', ['run', '-m', 'MOD/typed.ts', '--', fixture('stubcall'), '181']],
    ['a built-in module and a fault', ['run', '-m', 'streams', '-e', 'inject=getuid:error=EPERM', '--', fixture('stubcall'), '102']],
    ['a trace', ['run', '-e', 'trace=getuid', '--', fixture('stubcall'), '102']],
    ['the table', ['table', '--wired', '-m', 'streams']],
  ];
  for (const [what, args] of same) {
    needsSnapshot.it(`gives what the modules give: ${what}`, async () => {
      const argv = args.map((a) => a.replace('MOD', tmp));
      const fast = await runNative(cli, argv, { env: env() });
      const slow = await runNative(cli, argv, { env: env({ SYSSTUB_NO_SNAPSHOT: '1' }) });
      expect(fast).toEqual(slow);
      expect(fast.exitCode).not.toBe(125);
      if (what.startsWith('a module file')) expect(fast.stderr).toContain('execArgv []');
    });
  }

  it('help piped into a reader that stops early: no stack trace, exit 0, from either start', async () => {
    for (const extra of [{}, { SYSSTUB_NO_SNAPSHOT: '1' }]) {
      const r = await runNative('sh', ['-c', `"$0" --help | head -n 1; echo "status $?"`, cli], { env: env(extra) });
      expect(r).toEqual({ stdout: 'Usage: sysstub [options] [command]\nstatus 0\n', stderr: '', exitCode: 0, signal: null });
    }
  });
});

needsSnapshot.describe('a snapshot that does not fit is passed over', () => {
  // A copy of the package elsewhere, its dependencies and addon linked from here, and a bin linked as npm links it.
  let pkg = '';
  let bin = '';
  const blobFor = () => path.join(pkg, 'dist', 'cli-bundle.blob.for');
  beforeAll(() => {
    pkg = path.join(tmp, 'node_modules', 'sysstub');
    fs.mkdirSync(path.join(pkg, 'scripts'), { recursive: true });
    for (const f of ['dist', 'bin', 'package.json', 'scripts/snapshot.mjs']) fs.cpSync(path.join(root, f), path.join(pkg, f), { recursive: true, preserveTimestamps: true });
    fs.symlinkSync(path.join(root, 'build'), path.join(pkg, 'build'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
    fs.mkdirSync(path.join(tmp, 'node_modules', '.bin'));
    bin = path.join(tmp, 'node_modules', '.bin', 'sysstub');
    fs.symlinkSync('../sysstub/bin/sysstub.js', bin);
  });

  it('one built for another directory (the package was copied or moved)', async () => {
    expect(fs.readFileSync(blobFor(), 'utf8')).toContain(`\n${fs.realpathSync(root)}\n`);
    expect(await startedFromSnapshot(bin)).toBe(false);
  });

  it('one built there is used, through the bin npm links', async () => {
    const r = await runNative(process.execPath, [path.join(pkg, 'scripts', 'snapshot.mjs')], { env: env() });
    expect(r).toMatchObject({ stderr: '', exitCode: 0 });
    expect(fs.readFileSync(blobFor(), 'utf8')).toBe(`${fs.realpathSync(process.execPath)}\n${fs.realpathSync(pkg)}\n`);
    expect(await startedFromSnapshot(bin)).toBe(true);
  });

  it('one older than dist/cli.js (tsc ran after it)', async () => {
    const cliJs = path.join(pkg, 'dist', 'cli.js');
    const before = fs.statSync(cliJs);
    fs.utimesSync(cliJs, new Date(), new Date(Date.now() + 60_000));
    try {
      expect(await startedFromSnapshot(bin)).toBe(false);
    } finally {
      fs.utimesSync(cliJs, before.atime, before.mtime);
    }
    expect(await startedFromSnapshot(bin)).toBe(true);
  });

  it('one built by another node', async () => {
    const good = fs.readFileSync(blobFor(), 'utf8');
    fs.writeFileSync(blobFor(), good.replace(/^[^\n]*/, '/bin/sh'));
    try {
      expect(await startedFromSnapshot(bin)).toBe(false);
    } finally {
      fs.writeFileSync(blobFor(), good);
    }
    expect(await startedFromSnapshot(bin)).toBe(true);
  });
});
