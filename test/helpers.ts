// Shared test helpers: fixture paths, running a program natively and under
// sysstub with the same stdio, and the CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Supervisor, type SupervisorOptions } from '../lib/index.js';
import type { Module } from '../lib/module.js';
import { probe } from './probes.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cli = path.join(root, 'bin', 'sysstub.js');

/** Absolute path of a compiled C fixture (build/Release/<name>). */
export function fixture(name: string): string {
  return path.join(root, 'build', 'Release', name);
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

/** Run a program with child_process (no sysstub). */
export function runNative(file: string, args: string[] = [], opts: RunOpts = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'pipe', env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 20_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve({ stdout, stderr, exitCode, signal }));
  });
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
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, ms);
  return { hung: () => fired, cancel: () => clearTimeout(timer) };
}
