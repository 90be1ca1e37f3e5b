// Types of bench/load-mix.js (plain JS so that bench/soak.js runs it against dist/ without a build step).
import type { Call, Module, Supervisor } from '../lib/index.js';

export const root: string;
export const LOAD_MIX: string;

export interface Stats {
  calls: number;
  ok: number;
  enosys: number;
  eintr: number;
  mismatch: number;
  getpid: number;
  getpid_bad: number;
  sigs: number;
}

export class Tracker {
  seen: Map<string, number>;
  calls: number;
  abandoned: number;
  badArgs: number;
  badArgsExamples: string[];
  answer(call: Call): bigint;
  irregular(): { count: number; examples: string[] };
  delivered(): number;
}

export function answerModules(tracker: Tracker, opts?: { delay?: () => Promise<unknown> }): Module[];

export interface Parsed {
  pids: Set<number>;
  procs: Map<number, Stats>;
  done: { failed: number } | null;
  totals: Stats;
  other: string[];
}
export function parseOutput(stdout: string): Parsed;

export function leftovers(pids: Iterable<number>, settleMs?: number): Promise<string[]>;
export function sample(): { rss: number; fds: number; threads: number };
export function settleFds(want: number, ms?: number): Promise<number>;

export interface MixResult extends Parsed {
  args: string[];
  route: 'auto' | 'ptrace';
  seconds: number;
  hung: boolean;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  tracker: Tracker;
  toggles: number;
  trapped: number;
  liveAfter: number;
  leftovers: string[];
}

export interface MixOptions {
  args: string[];
  route?: 'auto' | 'ptrace';
  /** An open supervisor (wired with stubs [400, 401]) to run under, left open; default: a new one, closed after. */
  sup?: Supervisor;
  toggle?: boolean;
  delay?: () => Promise<unknown>;
  timeoutMs?: number;
}
export function runMix(api: { Supervisor: typeof Supervisor }, opts: MixOptions): Promise<MixResult>;

export interface Expectation {
  procs: number;
  callsPerProc: number;
  eintr?: 'never' | 'allowed';
  abandoned?: 'never' | 'allowed';
  bothStates?: boolean;
  handlerAccounting?: boolean;
}
export function checkMix(r: MixResult, expect: Expectation): string[];

export interface Config {
  calls?: { procs: number; threads: number; n: number };
  threads?: { spawners: number; rounds: number; batch: number; n: number };
  tree?: { depth: number; n: number };
  exec?: { procs: number; execs: number; n: number };
  signals?: { threads: number; n: number };
}
export const CONFIGS: { test: Config; soak: Config; small: Config };

export interface Part {
  args: string[];
  expect: Expectation;
  signals?: 'restart' | 'norestart';
}
export function parts(c: Config): Record<string, Part>;

export const signalDelay: () => Promise<void>;
export function signalExpectation(effectiveRoute: 'notif' | 'ptrace', flag: 'restart' | 'norestart'): Pick<Expectation, 'eintr' | 'abandoned'>;
