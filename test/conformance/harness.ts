// Conformance harness: a real program from a Debian package runs natively and
// under `sysstub run` (the CLI as a program, so that its shell prelude reads
// the inherited fds and dispositions), once per MODE, and both must give the
// same stdout, stderr and exit status (or death by the same signal).
//
// Volatile text is normalised by each case (Case.normalise), never by a
// blanket filter here: what a case does not normalise must be byte-identical.
// Each case also checks its native outcome (Case.check), so that a case whose
// program did not do what the case is about fails instead of comparing two
// equally wrong runs.
import { execFileSync, spawn, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { cli, killGroupAfter, root } from '../helpers.js';

// The CLI (bin/sysstub.js), executable: run as a program, never as `node bin/sysstub.js`.
export { cli, root };
/** Scripts the cases run (shell, Python, Perl, JavaScript, makefiles). */
export const scripts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scripts');
export const script = (name: string): string => path.join(scripts, name);

/** The three ways every case runs under sysstub. */
export const MODES = [
  { name: 'no module', args: [] as string[] },
  { name: '-m streams', args: ['-m', 'streams'] },
  { name: '--route ptrace', args: ['--route', 'ptrace'] },
] as const;
export type Mode = (typeof MODES)[number];

/** Where a tool is, or null: the tests that need it skip (with this reason) when it is absent. */
export function which(tool: string): string | null {
  if (tool.startsWith('/')) return fs.existsSync(tool) ? tool : null;
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** The Debian interpreter, not a version manager's shim that happens to be first in PATH. */
export const python3 = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : null;

export interface Result {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  hung: boolean;
}

export interface Case {
  /** The program and its arguments. */
  argv: string[];
  /** Put in front of both runs (sysstub is started under it): `setpriv --reuid=65534 ...`. */
  wrap?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  /** Killed (hung: true) after this long; default 60 s. */
  killMs?: number;
  /** This case's own normaliser of volatile text, applied to both runs. */
  normalise?: (r: Result) => Result;
  /** Asserts on the native outcome: what the case intends really happened. */
  check: (native: Result) => void;
  /** Runs of a case racy by nature (each a native and a supervised run); default 1. */
  runs?: number;
}

/** A deterministic environment: C locale, UTC, the caller's PATH. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC', ...extra };
}

/** Spawn, collect stdout/stderr; SIGKILL of the whole group (hung: true) after killMs. */
export function runRaw(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; killMs?: number; stdio?: StdioOptions } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: opts.stdio ?? 'pipe', env: opts.env ?? baseEnv(), cwd: opts.cwd, detached: true });
    let stdout = '';
    let stderr = '';
    const killer = killGroupAfter(child, opts.killMs ?? 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
    child.on('error', reject);
    child.on('close', (code, signal) => {
      killer.cancel();
      resolve({ stdout, stderr, code, signal, hung: killer.hung() });
    });
  });
}

/** The command line of one run: natively (mode null) or under `sysstub run MODE --`. */
export function commandLine(c: Pick<Case, 'argv' | 'wrap'>, mode: Mode | null): string[] {
  const inner = mode ? [cli, 'run', ...mode.args, '--', ...c.argv] : c.argv;
  return [...(c.wrap ?? []), ...inner];
}

/** Run a case once, natively or under sysstub. */
export function runCase(c: Case, mode: Mode | null): Promise<Result> {
  const [file, ...args] = commandLine(c, mode);
  return runRaw(file, args, { env: c.env ?? baseEnv(), cwd: c.cwd, input: c.input, killMs: c.killMs });
}

const show = (r: Result): Result => r;

/**
 * The case, natively and under sysstub in this mode: the native run passes
 * its check, and both (normalised by the case) are equal. Racy cases repeat.
 */
export async function expectConforms(c: Case, mode: Mode): Promise<void> {
  const norm = c.normalise ?? show;
  for (let i = 0; i < (c.runs ?? 1); i++) {
    const n = await runCase(c, null);
    expect(n.hung, `the native run hung: ${JSON.stringify(n)}`).toBe(false);
    c.check(n);
    const s = await runCase(c, mode);
    expect(norm(s), `run ${i + 1} of ${c.runs ?? 1}: ${commandLine(c, mode).join(' ')}`).toEqual(norm(n));
  }
}

/** Apply a text replacement to stdout and stderr (for a case's normaliser). */
export function replacing(...rules: [RegExp, string | ((m: string, ...g: string[]) => string)][]): (r: Result) => Result {
  const fix = (s: string) => rules.reduce((t, [re, to]) => t.replace(re, to as string), s);
  return (r) => ({ ...r, stdout: fix(r.stdout), stderr: fix(r.stderr) });
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sysstub-conf-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Per-test timeout: generous, since the suite shares a small VM with other work. */
export const SLOW = 180_000;
