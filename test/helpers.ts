// Shared test helpers: fixture paths, spawning a program and collecting its
// output (spawnCollect; runNative and runCli are text wrappers over it),
// running it under sysstub with the same stdio, and the CLI.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Supervisor, type SupervisorOptions } from '../lib/index.js';
import type { Module } from '../lib/module.js';
import { probe } from './probes.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cli = path.join(root, 'bin', 'sysstub.js');

/** Absolute path of a compiled C fixture (test/fixtures/build/<name>, scripts/build-fixtures.mjs). */
export function fixture(name: string): string {
  return path.join(root, 'test', 'fixtures', 'build', name);
}

export interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
}

export interface RunOpts {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** What spawnCollect gives back: the output as bytes, the status, and whether the kill timer fired. */
export interface Collected {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The kill timer fired: the process (or what held its pipes) outlived killMs. */
  hung: boolean;
}

export interface CollectOpts {
  /** Written to stdin, which is then closed (unless keepStdin). */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Default 'pipe'; a stream given another disposition is simply not collected. */
  stdio?: StdioOptions;
  /** SIGKILL after this long (hung: true); default 20 s. */
  killMs?: number;
  /** Own process group; the kill timer then kills the whole group (killGroupAfter). */
  detached?: boolean;
  /** Leave stdin open: the caller ends it (child.stdin.end()). */
  keepStdin?: boolean;
}

/** A process being collected: its output so far, and its end. */
export interface Collecting {
  child: ChildProcess;
  stdout(): Buffer;
  stderr(): Buffer;
  /** Settles on 'close' (all output read); rejects when the spawn fails. */
  ended: Promise<Collected>;
}

/** Spawn and collect stdout/stderr as bytes while it runs; SIGKILL (hung: true) after killMs. */
export function startCollect(file: string, args: string[], opts: CollectOpts = {}): Collecting {
  const child = spawn(file, args, { stdio: opts.stdio ?? 'pipe', env: opts.env, cwd: opts.cwd, detached: opts.detached });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  if (child.stdin) {
    child.stdin.on('error', () => {}); // a program that exits without reading: EPIPE is not the test's concern
    if (!opts.keepStdin) child.stdin.end(opts.input ?? '');
  }
  const killer = killAfter(child, opts.killMs ?? 20_000, opts.detached === true);
  const ended = new Promise<Collected>((resolve, reject) => {
    child.on('error', (e) => {
      killer.cancel();
      reject(e);
    });
    child.on('close', (exitCode, signal) => {
      killer.cancel();
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode, signal, hung: killer.hung() });
    });
  });
  return { child, stdout: () => Buffer.concat(out), stderr: () => Buffer.concat(err), ended };
}

/** Spawn, wait for the end, output as bytes; SIGKILL (hung: true) after killMs. */
export function spawnCollect(file: string, args: string[], opts: CollectOpts = {}): Promise<Collected> {
  return startCollect(file, args, opts).ended;
}

/** A Collected with its output decoded as UTF-8. */
export function asText(r: Collected): Omit<Collected, 'stdout' | 'stderr'> & { stdout: string; stderr: string } {
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode, signal: r.signal, hung: r.hung };
}

/** The text Outcome of a run (no hung: callers compare whole Outcomes). */
function outcome(r: Collected): Outcome {
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode, signal: r.signal };
}

/** Run a program with child_process (no sysstub). */
export async function runNative(file: string, args: string[] = [], opts: RunOpts = {}): Promise<Outcome> {
  return outcome(await spawnCollect(file, args, { input: opts.input, env: opts.env, cwd: opts.cwd, killMs: opts.timeoutMs }));
}

/** Run a program under a new Supervisor with stdio piped. */
export async function runSupervised(
  file: string,
  args: string[],
  opts: RunOpts & { modules?: Module[]; stubs?: (string | number)[]; supervisor?: SupervisorOptions } = {},
): Promise<Outcome> {
  const sup = new Supervisor({ modules: opts.modules, stubs: opts.stubs, ...opts.supervisor });
  try {
    const child = sup.spawn(file, args, { stdio: 'pipe', env: opts.env, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    const r = await child.closed.finally(() => clearTimeout(timer));
    return { stdout, stderr, exitCode: r.exitCode, signal: r.signal };
  } finally {
    await sup.close();
  }
}

/** Run the sysstub CLI (node bin/sysstub.js ...). */
export function runCli(args: string[], opts: RunOpts = {}): Promise<Outcome> {
  return runNative(process.execPath, [cli, ...args], opts);
}

/** Run the sysstub CLI, output kept as bytes and the kill timer's verdict with it. */
export function runCliRaw(args: string[], opts: CollectOpts = {}): Promise<Collected> {
  return spawnCollect(process.execPath, [cli, ...args], opts);
}

/** Every route a handler slot can take; suites that apply to both run once per route. */
export const ROUTES = ['auto', 'ptrace'] as const;
export type Route = (typeof ROUTES)[number];

/** The route handler slots really take: 'auto' is 'ptrace' without user notification. */
export function effectiveRoute(route: Route): 'notif' | 'ptrace' {
  return route === 'auto' && probe.userNotif ? 'notif' : 'ptrace';
}

/** Calls that reached the dispatcher (JS or a native constant) on this route. */
export function trappedCalls(stats: { handlerCalls: number; nativeAnswers: number; notifCalls: number }, route: Route): number {
  return effectiveRoute(route) === 'ptrace' ? stats.handlerCalls + stats.nativeAnswers : stats.notifCalls;
}

/** strace is on this machine (CI installs it); parity tests skip without it: needs('strace') says why. */
export const haveStrace = probe.strace !== null;

/** A program on PATH that runs (`python3 -c 0` exits 0): tests that need one skip without it, saying so. */
export function haveProgram(file: string, args: string[] = []): boolean {
  return spawnSync(file, args, { stdio: 'ignore' }).status === 0;
}

/** Dead: gone, or a zombie whose parent (maybe an init that never reaps) has not reaped it. */
export const isDead = (pid: number): boolean => ['gone', 'Z'].includes(procState(pid));

/** State letter of a process from /proc/PID/stat ('R', 'S', 't', 'Z', ...), or 'gone'. */
export function procState(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
  } catch {
    return 'gone';
  }
}

/**
 * After ms, SIGKILL the process group of child (spawned with detached: true,
 * so that everything it started goes too), or child alone when that fails.
 * hung() says whether it fired; cancel() when the child has ended.
 */
export function killGroupAfter(child: ChildProcess, ms: number): { hung(): boolean; cancel(): void } {
  return killAfter(child, ms, true);
}

/** SIGKILL child (its group when group) after ms; see killGroupAfter. */
function killAfter(child: ChildProcess, ms: number, group: boolean): { hung(): boolean; cancel(): void } {
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    try {
      if (group) return void process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // no such group: the child alone
    }
    child.kill('SIGKILL');
  }, ms);
  return { hung: () => fired, cancel: () => clearTimeout(timer) };
}
