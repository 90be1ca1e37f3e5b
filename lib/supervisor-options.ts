// What a Supervisor is created with, checked once: a misspelt option or a
// value out of range is a TypeError naming it, never silently a default.
import type { Module, ModuleDefinition } from './module.js';
import type { TracerStats } from './native.js';
import type { CaptureSpec } from './trace/events.js';

export interface SupervisorOptions {
  /** Modules loaded before the first spawn (their slots are wired), bottom first. */
  modules?: readonly (Module | ModuleDefinition)[];
  /** Extra slots to wire: syscall names or numbers (unassigned numbers too). */
  stubs?: readonly (string | number)[];
  /**
   * Wire the kernel's own stub slots (getpmsg, putpmsg, ...) so that modules
   * loaded after the first spawn can fill them. Default true; run(), which
   * loads nothing later, leaves them to the kernel (which answers ENOSYS
   * itself): nothing is trapped that no module handles.
   */
  kernelStubs?: boolean;
  /** Default ms a handler may take before its call fails with ETIMEDOUT; null: no limit. Default 10000. */
  handlerTimeout?: number | null;
  /**
   * 'auto' (default): handler slots of stub and unassigned numbers use seccomp
   * user notification, answered on Node's event loop; real calls use ptrace.
   * 'ptrace': every slot through ptrace (kernels without user notification
   * fall back to it automatically).
   */
  route?: RouteOption;
  /**
   * Compile slots whose top answer at spawn is a constant errno ({ errno })
   * into the seccomp filter (SECCOMP_RET_ERRNO: no stop at all). Such slots
   * cannot take handlers later. Default false.
   */
  sealConstants?: boolean;
  /**
   * Trace these syscalls (a strace SET: 'openat,read', '%file', 'all', '!write',
   * or numbers): every call is reported as a 'syscall' event with its result.
   * `capture` says what tracee memory to copy for each (strings, buffers).
   */
  trace?: { syscalls: string | readonly number[]; capture?: (nr: number) => CaptureSpec[] };
  /**
   * Keep a stub report (Supervisor.stubReport()): every stub and unassigned
   * slot is wired, and each call on one is counted with who answered it; it
   * gets the same answer as without the report. Default false.
   */
  report?: boolean;
}

/** Which route a spawned tree's handler slots take (see SlotRoute in stub-table.ts). */
export type RouteOption = 'auto' | 'ptrace';

export interface SupervisorStats extends TracerStats {
  /** Calls received on the user-notification route. */
  notifCalls: number;
  /** Of those, answered in C++ (constants, empty stubs) without entering JS. */
  notifNativeAnswers: number;
}

/** The options' checked values (defaults applied); throws a TypeError naming a bad one. */
export function checkOptions(opts: SupervisorOptions): { handlerTimeout: number | null; route: RouteOption; sealConstants: boolean } {
  const known = new Set(['modules', 'stubs', 'kernelStubs', 'handlerTimeout', 'route', 'sealConstants', 'trace', 'report']);
  for (const k of Object.keys(opts)) {
    if (!known.has(k)) throw new TypeError(`Supervisor: unknown option "${k}" (valid: ${[...known].join(', ')})`);
  }
  const t = opts.handlerTimeout;
  if (t !== undefined && t !== null && !(typeof t === 'number' && t > 0)) {
    throw new TypeError(`Supervisor: handlerTimeout must be a positive number of ms or null, got ${String(t)}`);
  }
  const tr = opts.trace as unknown;
  if (tr !== undefined) {
    const o = tr as { syscalls?: unknown; capture?: unknown };
    if (tr === null || typeof tr !== 'object' || (typeof o.syscalls !== 'string' && !Array.isArray(o.syscalls))) {
      throw new TypeError("Supervisor: trace must be { syscalls: a strace SET ('openat,read') or numbers, capture?: (nr) => CaptureSpec[] }");
    }
    if (o.capture !== undefined && typeof o.capture !== 'function') throw new TypeError('Supervisor: trace.capture must be a function (nr) => CaptureSpec[]');
    for (const k of Object.keys(tr)) if (k !== 'syscalls' && k !== 'capture') throw new TypeError(`Supervisor: trace: unknown key "${k}" (valid: syscalls, capture)`);
  }
  if (opts.report !== undefined && typeof opts.report !== 'boolean') throw new TypeError(`Supervisor: report must be true or false, got ${String(opts.report)}`);
  if (opts.route !== undefined && opts.route !== 'auto' && opts.route !== 'ptrace') {
    throw new TypeError(`Supervisor: route must be 'auto' or 'ptrace', got ${JSON.stringify(opts.route)}`);
  }
  return { handlerTimeout: t === undefined ? 10_000 : t, route: opts.route ?? 'auto', sealConstants: opts.sealConstants ?? false };
}
