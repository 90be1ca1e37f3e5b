// Typed access to the native addon (build/Release/sysstub.node, or $SYSSTUB_ADDON). Loaded
// lazily so that `sysstub --help` works without it; a missing addon is
// reported with every path that was tried.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from './package-root.js';
import type { NotifAnswer } from './routes/notif.js';
import type { Answer } from './routes/ptrace.js';

/** An event from the tracer thread, delivered in batches on the main thread. */
export type NativeEvent =
  | { type: 'call'; pid: number; tid: number; nr: number; seq: bigint; args: bigint[] }
  | { type: 'cancel'; pid: number; tid: number; seq: bigint }
  | { type: 'exitStop'; pid: number; tid: number; seq: bigint; ret: bigint }
  | { type: 'exec'; pid: number; tid: number; first: boolean }
  | { type: 'exit'; pid: number; tid: number; code: number | null; signal: number; core: boolean }
  | { type: 'spawnError'; pid: number; tid: number; errno: number }
  | { type: 'signal'; pid: number; tid: number; signal: number; siginfo?: Buffer }
  | { type: 'newProcess'; pid: number; tid: number; parent: number }
  /** Every task of an attached process was detached (Tracer.detach). */
  | { type: 'detached'; pid: number; tid: number }
  /** A thread entered group-stop (signal: the stop signal) or left it (signal 0). */
  | { type: 'groupStop'; pid: number; tid: number; signal: number }
  /** A signal sent to this process, relayed (relaySignals): sent to `delivered` of `targets` processes (the others had it already). */
  | { type: 'relayed'; pid: number; tid: number; signal: number; delivered: number; targets: number }
  /** A run of traced calls, packed (lib/trace/records.ts). */
  | { type: 'syscalls'; records: Buffer };

export interface NativeSpawnOptions {
  /** Bytes (or UTF-8 text): searched in envp's PATH like execvp when it has no '/'. */
  file: string | Uint8Array;
  argv: (string | Uint8Array)[];
  envp: (string | Uint8Array)[];
  cwd?: string | Uint8Array;
  /** The program's fds as (target, source) pairs; source -1: closed (native/spawn.h). */
  fds: Int32Array;
  /** Signals the program starts with ignored, and blocked: bit n-1 for signal n. */
  sigIgnored: bigint;
  sigMask: bigint;
  /** One seccomp action per syscall number 0..1023. */
  actions: Uint32Array;
  /** The user-notification variant and the child's end of the socket its listener fd comes home on. */
  notifActions?: Uint32Array;
  notifSock?: number;
  /** Behave as on a kernel without user notification (SYSSTUB_NO_USER_NOTIF=1; for tests). */
  notifUnavailable?: boolean;
}

export interface NativeNotifListener extends NativeSlotTable {
  /** Answer notification id (see NotifAnswer). Returns 0 or -errno (-ENOENT: the call is gone). */
  respond(id: bigint, kind: NotifAnswer, value: bigint): number;
  /** respond() for the notification being dispatched now (synchronous answers), value a safe integer. */
  respondCurrent(kind: NotifAnswer, value: number): number;
  isValid(id: bigint): boolean;
  ref(on: boolean): void;
  close(): void;
  stats(): { received: number; handlerCalls: number; nativeAnswers: number; syncWakeup: boolean };
}

/** What a trapped call on a slot does, decided natively (native/slot_table.h SlotDisposition). */
export const enum SlotDisposition {
  Kernel = 0,
  Errno = 1,
  Handler = 2,
  Value = 3,
}


/** What a trace capture copies (native/trace_capture.h Capture::Kind). */
export const enum CaptureKind {
  Buf = 0,
  CString = 1,
  StringVector = 2,
}

/** Where a capture's length comes from (native/trace_capture.h Capture::len_kind). */
export const enum CaptureLen {
  Arg = 0,
  Ret = 1,
  Fixed = 2,
}

/** One piece of tracee memory to copy for a traced call's line. */
export interface NativeCapture {
  /** The argument that points at it. */
  arg: number;
  /** Copied at the call's exit (what it wrote), else at its entry. */
  atExit: boolean;
  kind: CaptureKind;
  lenKind: CaptureLen;
  /** The argument holding the length (Arg), or the size (Fixed). */
  lenValue: number;
  max: number;
  /** Length units in bytes (an array of structs). */
  scale: number;
}

/** A counted constant (strace's when=), decided natively with per-thread counters (native/counted_rule.h). */
export interface NativeCountedRule {
  first: number;
  /** 0: open-ended. */
  last: number;
  /** 0: every call in range. */
  step: number;
  isErrno: boolean;
  /** The errno (positive) or the return value, all 64 bits. */
  value: bigint;
  /** When it does not fire: the kernel runs the call (else ENOSYS, a stub slot). */
  bottomKernel: boolean;
}

/** The one interface of both native routes' slot tables. */
export interface NativeSlotTable {
  /** value: the errno (Errno) or the return value (Value), all 64 bits. */
  setSlot(nr: number, disposition: SlotDisposition, value: bigint): void;
  setCounted(nr: number, rule: NativeCountedRule): void;
}

export interface TracerStats {
  stops: number;
  seccompStops: number;
  handlerCalls: number;
  nativeAnswers: number;
  signalStops: number;
  groupStops: number;
  eventStops: number;
  exits: number;
}

export interface NativeTracer extends NativeSlotTable {
  spawn(opts: NativeSpawnOptions): number;
  /**
   * Seize every thread of process pid (native/attach.h). With actions (per slot
   * SECCOMP_RET_ALLOW or SECCOMP_RET_TRACE only) the filter is injected;
   * without, or when it cannot go in (filterErrno), PTRACE_SYSCALL stops.
   */
  attach(opts: { pid: number; actions?: Uint32Array }): { threads: number; filter: boolean; filterErrno: number; stopped: boolean };
  /** Detach the attached tree rooted at pid (0: all) at each task's next stop: 'detached' events follow. */
  detach(pid: number): void;
  /** Trace nr, capturing [arg, atExit, kind, lenKind, lenValue, max, scale] per capture (trace/events.ts). */
  setTraced(nr: number, captures: NativeCapture[]): void;
  /** Answer the call stopped as (tid, seq); args[i] replaces argument i where defined (see Answer). */
  answer(tid: number, seq: bigint, kind: Answer, value: bigint, args?: (bigint | undefined)[]): void;
  ref(): void;
  unref(): void;
  close(): void;
  stats(): TracerStats;
  /** Relay these signals (bit n-1: signal n) sent to this process to the program, exactly once (native/signal_relay.h). */
  relaySignals(mask: bigint): boolean;
  /**
   * The notif-route call `id` of tid on `listener` has a signal to take: the tracer flags the thread
   * (PTRACE_INTERRUPT) and answers -ERESTARTSYS (native/tracer.h). false: no tracer or listener left.
   */
  interruptNotified(tid: number, listener: NativeNotifListener, id: bigint): boolean;
  /** Start the handler watchdog (native/watchdog.h): JS marks handler entry/exit in shared[0], the call's nr in shared[1], relayed events handled in shared[2]. */
  watch(timeoutMs: number, shared: Int32Array): void;
}

export interface NativeAddon {
  Tracer: new (onEvents: (events: NativeEvent[]) => void) => NativeTracer;
  readMemoryInto(tid: number, addr: bigint, bytes: Uint8Array): void;
  writeMemory(tid: number, addr: bigint, bytes: Uint8Array): void;
  readCString(tid: number, addr: bigint, max: number): Buffer;
  NotifListener: new (
    sock: number,
    onReady: (ok: boolean, syncWakeup: boolean, fallbackErrno: number) => void,
    /** The notification's id and arguments are in view[0..6] during the call. */
    onCall: (tid: number, nr: number) => void,
    view: BigUint64Array,
  ) => NativeNotifListener;
  pipe(): [number, number];
  socketpair(): [number, number];
  isForegroundTty(): boolean;
  killSelfWith(signal: number): void;
  /** Take these signals (bit n-1: signal n) from Node now, for the relay a Tracer adopts (relaySignals). */
  holdSignals(mask: bigint): boolean;
}

let addon: NativeAddon | undefined;


/**
 * The libc tag of the prebuilt binary this Node can load (scripts/prebuild.mjs
 * names them so): the C library Node runs on, from the dynamic loader mapped
 * into this process (/proc/self/maps): musl's is ld-musl-*. Cheap, unlike
 * process.report.getReport() (a whole diagnostic report: ~7 ms at start-up).
 */
function libc(): 'glibc' | 'musl' {
  try {
    return /\/ld-musl-[^/\n]*$/m.test(fs.readFileSync('/proc/self/maps', 'utf8')) ? 'musl' : 'glibc';
  } catch {
    return 'glibc';
  }
}

/**
 * The addon: $SYSSTUB_ADDON (an addon built elsewhere: the sanitizer build,
 * scripts/test-asan.sh), then a local build (build/Release, build/Debug, as
 * node-gyp-build prefers), then the prebuilt binary shipped in the package.
 */
export function native(): NativeAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  // The prebuilt's name is worked out only when no local build loads.
  const candidates: (() => string)[] = [
    ...(process.env.SYSSTUB_ADDON ? [() => path.resolve(process.env.SYSSTUB_ADDON!)] : []),
    ...['build/Release', 'build/Debug'].map((dir) => () => path.join(packageRoot, dir, 'sysstub.node')),
    () => path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, `node.napi.${libc()}.node`),
  ];
  const tried: string[] = [];
  for (const candidate of candidates) {
    const p = candidate();
    try {
      addon = require(p) as NativeAddon;
      return addon;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // One that exists but does not load (another libc, a broken build): say why, try the next.
      tried.push(e.code === 'MODULE_NOT_FOUND' ? `${p} (missing)` : `${p} (${e.message.split('\n')[0]})`);
    }
  }
  // Installed as a dependency, the fix is to build it there; in a checkout, to install.
  const installed = packageRoot.split(path.sep).includes('node_modules');
  const fix = installed ? '`npm rebuild sysstub` (it needs a C++ compiler, make and python3)' : '`npm install` (or `npm run build:native`)';
  const e = new Error(`the native addon could not be loaded: run ${fix}; tried:\n  ${tried.join('\n  ')}`) as NodeJS.ErrnoException;
  e.code = 'ERR_SYSSTUB_ADDON';
  throw e;
}
