// The module protocol: what a handler receives (Call), what it may answer
// (a value, an errno, or the module below via call.next()), and defineModule.
// Handlers are x86-64 only: see README "ABIs" for i386/x32 calls.
import { errnoName, errnoNumber, strerror, type ErrnoName } from './errno.js';
import { parseWhenExpr, type When } from './faults/expr.js';
import type { SyscallName } from './syscalls/table.js';

/** Six raw 64-bit syscall arguments, as the kernel passed them (rdi, rsi, rdx, r10, r8, r9). */
export type SyscallArgs = readonly [bigint, bigint, bigint, bigint, bigint, bigint];

/** An errno name in the kernel's spelling ('EINVAL') or its number (22). */
export type ErrnoLike = ErrnoName | number;

/**
 * A failed system call: a handler throws or returns one to make the call fail
 * with that errno (the program sees -1 and errno). Shaped like Node's SystemError.
 */
export class SyscallError extends Error {
  readonly errno: number;
  readonly code: string;
  syscall: string | undefined;
  constructor(errno: ErrnoLike, message?: string, syscall?: string) {
    const n = typeof errno === 'number' ? errno : errnoNumber(errno);
    if (n === undefined || !Number.isInteger(n) || n < 1 || n > 4095) {
      throw new TypeError(`SyscallError: unknown errno ${JSON.stringify(errno)}; use a name such as 'EINVAL' or a number 1..4095`);
    }
    const code = errnoName(n) ?? `E${n}`;
    super(message ?? `${code}: ${strerror(n)}`);
    this.name = 'SyscallError';
    this.errno = n;
    this.code = code;
    this.syscall = syscall;
  }
}

/** How a call ends, as seen by the module above: what `call.next()` resolves to. */
export type Outcome =
  | { readonly type: 'return'; readonly value: bigint }
  | { readonly type: 'error'; readonly errno: number; readonly code: string }
  | { readonly type: 'kernel'; readonly args: SyscallArgs };

/** Anything a handler may answer with (or a promise of it). */
export type HandlerResult = number | bigint | SyscallError | Outcome;

/** A trapped system call, as a handler sees it. */
export interface Call {
  /** x86-64 syscall number. */
  readonly nr: number;
  /** Kernel name of the call ('getpmsg'), or 'syscall_N' for an unassigned number. */
  readonly name: string;
  /** Thread group id (what getpid() returns in the tracee). */
  readonly pid: number;
  /** Thread id of the calling thread. */
  readonly tid: number;
  /** Raw 64-bit arguments. */
  readonly args: SyscallArgs;
  /** Aborted when the calling thread dies or the supervisor shuts down: stop waiting then. */
  readonly signal: AbortSignal;

  /** Argument i as a signed 32-bit int (how the kernel reads an `int`). */
  int(i: number): number;
  /** Argument i as an unsigned 32-bit int. */
  uint(i: number): number;
  /** Argument i as a signed 64-bit value (`long`). */
  long(i: number): bigint;
  /** Argument i as an unsigned 64-bit value (pointer, size_t). */
  ptr(i: number): bigint;

  /** Read len bytes of tracee memory. Throws SyscallError EFAULT for a bad address. */
  read(addr: bigint | number, len: number): Buffer;
  /** Write bytes into tracee memory (read-only pages too). Throws SyscallError EFAULT. */
  write(addr: bigint | number, bytes: Uint8Array): void;
  /** Read a NUL-terminated string of at most max bytes (default 4096). EFAULT, or ENAMETOOLONG when no NUL. */
  readCString(addr: bigint | number, max?: number): string;

  /**
   * Register an undo for this handler's side effects. It runs if the answer
   * never reaches the caller: the call was interrupted by a signal after the
   * handler answered (the kernel then restarts it, and the handler sees it
   * again, or fails it with EINTR), or the thread died. Example: a message
   * taken from a queue goes back.
   */
  onAbandoned(undo: () => void): void;

  /**
   * Defer to the module below (ending at the kernel, or ENOSYS for a stub slot).
   * With args, the call continues with those arguments (ptrace route only).
   * Return the outcome to pass it on, or inspect it first.
   */
  next(args?: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, bigint | number>>): Promise<Outcome>;

  /**
   * Let the kernel run the call now (with args replaced, if given) and resolve
   * to its result, which the handler may then return, change, or follow with
   * side effects (a delay, a signal). For real calls on the ptrace route (the
   * default for them); throws otherwise. At most once per call.
   */
  observe(args?: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, bigint | number>>): Promise<Outcome>;
}

/** A handler: sync or async. Throwing a SyscallError fails the call with its errno. */
export type Handler = (call: Call) => HandlerResult | Promise<HandlerResult>;

/** A handler with options. */
export interface HandlerSpec {
  handler: Handler;
  /**
   * Milliseconds this handler may take before its call fails with ETIMEDOUT;
   * null for handlers that legitimately block (a read on an empty queue).
   * Default: the supervisor's handlerTimeout.
   */
  timeout?: number | null;
}

interface ConstantWhen {
  /**
   * Only on these calls of each thread (strace's when=: '3', '2+', '1+2',
   * '2..4', '1..9+3'); the others go on down the stack. Still decided natively.
   */
  when?: string | When;
}

/**
 * A constant answer: decided without entering JavaScript (in C++ at the stop
 * or notification, or compiled into the seccomp filter with sealConstants).
 * Exactly one of errno / value: `{ errno, value }` together does not compile.
 */
export type ConstantSpec =
  | (ConstantWhen & { errno: ErrnoLike; value?: never })
  | (ConstantWhen & { value: number | bigint; errno?: never });

/** The when= of a constant spec, parsed; throws a TypeError naming `where`. */
export function constantWhen(c: ConstantSpec, where: string): When | undefined {
  if (c.when === undefined) return undefined;
  if (typeof c.when === 'object') return c.when;
  try {
    return parseWhenExpr(String(c.when));
  } catch (err) {
    throw new TypeError(`${where}.when: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** What a module puts in one slot. */
export type SlotEntry = Handler | HandlerSpec | ConstantSpec;

/**
 * Keys: syscall names in the kernel's spelling (a misspelt one does not
 * compile), or numbers (for unassigned numbers: `{ 400: ... }`).
 */
export type SyscallHandlers = { readonly [K in SyscallName]?: SlotEntry } & { readonly [nr: number]: SlotEntry };

export interface ModuleDefinition {
  /** Unique name in a supervisor's table: [a-z0-9][a-z0-9_.-]*. */
  readonly name: string;
  readonly description?: string;
  readonly syscalls: SyscallHandlers;
}

/** A module as the stub table uses it. */
export interface Module extends ModuleDefinition {
  readonly [moduleBrand]: true;
}

const moduleBrand: unique symbol = Symbol.for('sysstub.module');

const MODULE_NAME = /^[a-z0-9][a-z0-9_.-]*$/;

const MODULE_KEYS = ['name', 'description', 'syscalls'];
const HANDLER_SPEC_KEYS = ['handler', 'timeout'];
const CONSTANT_SPEC_KEYS = ['errno', 'value', 'when'];

/** A misspelt option is an error, not silently ignored ('timout' is no timeout). */
function checkKeys(o: object, valid: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!valid.includes(k)) throw new TypeError(`${where}: unknown key ${JSON.stringify(k)} (valid: ${valid.join(', ')})`);
  }
}

/** Type and check a module. Throws a TypeError naming the bad field. */
export function defineModule(def: ModuleDefinition): Module {
  if (def === null || typeof def !== 'object') throw new TypeError('defineModule: expected an object { name, syscalls }');
  if (typeof def.name !== 'string' || !MODULE_NAME.test(def.name)) {
    throw new TypeError(`defineModule: name ${JSON.stringify(def.name)} must match ${MODULE_NAME}`);
  }
  if (def.syscalls === null || typeof def.syscalls !== 'object') {
    throw new TypeError(`defineModule(${def.name}): syscalls must be an object of handlers keyed by syscall name or number`);
  }
  checkKeys(def, MODULE_KEYS, `defineModule(${def.name})`);
  for (const [key, h] of Object.entries(def.syscalls)) {
    if (h && typeof h === 'object') checkKeys(h, 'handler' in h ? HANDLER_SPEC_KEYS : CONSTANT_SPEC_KEYS, `defineModule(${def.name}): syscalls.${key}`);
    if (h && typeof h === 'object' && !('handler' in h)) {
      constantOutcome(h as ConstantSpec, `defineModule(${def.name}): syscalls.${key}`);
      constantWhen(h as ConstantSpec, `defineModule(${def.name}): syscalls.${key}`);
      continue;
    }
    const fn = typeof h === 'function' ? h : (h as HandlerSpec | null)?.handler;
    if (typeof fn !== 'function') {
      throw new TypeError(`defineModule(${def.name}): syscalls.${key} must be a function or { handler, timeout }`);
    }
    const t = typeof h === 'function' ? undefined : (h as HandlerSpec).timeout;
    if (t !== undefined && t !== null && !(typeof t === 'number' && t > 0)) {
      throw new TypeError(`defineModule(${def.name}): syscalls.${key}.timeout must be a positive number of ms or null`);
    }
  }
  return Object.freeze({ ...def, [moduleBrand]: true as const });
}

/** The Outcome of a constant answer; throws a TypeError naming `where` if it is not one. */
export function constantOutcome(c: ConstantSpec, where: string): Outcome {
  const hasErrno = c.errno !== undefined;
  const hasValue = c.value !== undefined;
  if (hasErrno === hasValue) throw new TypeError(`${where} must be a function, { handler, timeout }, { errno } or { value }`);
  if (hasErrno) {
    let e: SyscallError;
    try {
      e = new SyscallError(c.errno!);
    } catch (err) {
      throw new TypeError(`${where}.errno: ${(err as Error).message.replace(/^SyscallError: /, '')}`);
    }
    return { type: 'error', errno: e.errno, code: e.code };
  }
  const v = c.value!;
  if (typeof v === 'number' ? !Number.isSafeInteger(v) : typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 64n) {
    throw new TypeError(`${where}.value must be an integer that fits in 64 bits`);
  }
  return { type: 'return', value: BigInt.asUintN(64, BigInt(v)) };
}

/** True for a value made by defineModule, or a plain object of the module shape. */
export function isModuleShaped(x: unknown): x is ModuleDefinition {
  return typeof x === 'object' && x !== null && typeof (x as ModuleDefinition).name === 'string' &&
    typeof (x as ModuleDefinition).syscalls === 'object' && (x as ModuleDefinition).syscalls !== null;
}

export function asModule(x: ModuleDefinition | Module): Module {
  return (x as Module)[moduleBrand] ? (x as Module) : defineModule(x);
}
