// The stub table: one slot per x86-64 syscall number, which slots are wired
// (trapped by the seccomp filter), and the stack of module handlers in each.
//
// Wiring is decided once, when the first tracee is spawned: a seccomp filter
// cannot be changed after it is installed (seccomp(2)), exactly like the
// kernel's stub calls that are compiled in. Modules loaded later fill wired
// slots; a module that claims an unwired number is refused with an error.
import os from 'node:os';
import type { When } from './faults/expr.js';
import { asModule, constantOutcome, constantWhen, type ConstantSpec, type SlotEntry, type Handler, type HandlerSpec, type Module, type ModuleDefinition, type Outcome } from './module.js';
import { reportedSlot } from './stub-report.js';
import { KERNEL_STUBS, parseSyscallRef, syscallByNr, type SyscallInfo } from './syscalls/index.js';
import { MAX_SYSCALL_NR } from './syscalls/index.js';
import { SlotDisposition, type NativeSlotTable } from './native.js';

/** What an empty stub slot answers: ENOSYS, as the kernel's own stubs (sys_ni_syscall). */
export const EMPTY_STUB_ERRNO: number = os.constants.errno.ENOSYS;

/** execve and execveat: never sealed into the filter (route()). */
const EXEC_NRS: ReadonlySet<number> = new Set(['execve', 'execveat'].map((n) => parseSyscallRef(n).nr));

/** seccomp(2) return actions (linux/seccomp.h). */
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_USER_NOTIF = 0x7fc00000;

/**
 * Which kernel mechanism delivers a slot's calls:
 * - 'notif': seccomp user notification, answered on Node's event loop (stub and
 *   unassigned slots: nothing below the modules needs registers);
 * - 'ptrace': a seccomp stop on the tracer thread (real calls: a handler may
 *   pass them to the kernel with rewritten arguments);
 * - 'filter': a constant errno compiled into the filter (sealConstants).
 */
export type SlotRoute = 'notif' | 'ptrace' | 'filter';

/** What happens to a trapped call that no module handles: the bottom of every chain. */
export type SlotBottom = 'kernel' | 'enosys';

export interface HandlerEntry {
  readonly module: LoadedModule;
  readonly handler: Handler;
  /** ms; null: no timeout; undefined: the supervisor's default. */
  readonly timeout: number | null | undefined;
  /** Set for a constant answer ({ errno } / { value }): decided natively when on top. */
  readonly constant?: Outcome;
  /** A counted constant: only these calls of each thread (counts kept in `counts` on the JS path). */
  readonly when?: When;
  readonly counts?: Map<number, number>;
}

export interface LoadedModule {
  readonly module: Module;
  readonly name: string;
  /** Calls in flight that may still run one of its handlers. */
  inflight: number;
  /** Resolvers waiting for inflight to reach 0 (unload). */
  drained: (() => void)[];
  unloading: boolean;
}

export interface SlotRow {
  nr: number;
  name: string;
  /** What the kernel does with this number natively. */
  native: SyscallInfo['status'];
  wired: boolean;
  /** Handling modules, top (runs first) first. */
  modules: string[];
}

/** Why a slot is wired, for `sysstub table` and error messages. */
export type WireReason = 'kernel-stub' | 'module' | 'stub-option' | 'report';

export class StubTable {
  private readonly wiredReasons = new Map<number, WireReason>();
  private frozen = false;
  private readonly stacks = new Map<number, HandlerEntry[]>(); // bottom .. top
  private readonly loaded = new Map<string, LoadedModule>();
  /** Traced slots: every call is reported with its result, so they take the ptrace route. */
  readonly traced = new Set<number>();
  /** Slots of the stub report (wireReport): every call reaches JS to be counted, and gets the same answer. */
  readonly reported = new Set<number>();
  /** Slots whose constant errno was compiled into the filter at spawn. */
  private readonly sealed = new Map<number, string>();
  /** Called when a slot's native route changes (a module came or went). */
  onSlotChange: (nr: number) => void = () => {};

  constructor(opts: { stubs?: readonly (string | number)[]; kernelStubs?: boolean } = {}) {
    if (opts.kernelStubs !== false) for (const nr of KERNEL_STUBS) this.wiredReasons.set(nr, 'kernel-stub');
    for (const ref of opts.stubs ?? []) this.wire(ref);
  }

  /** Wire a slot (before the first spawn). Throws TypeError for an unknown name or a number out of range. */
  wire(ref: string | number, reason: WireReason = 'stub-option'): SyscallInfo {
    const info = parseSyscallRef(ref);
    if (info.status === 'special') {
      throw new TypeError(`syscall ${info.nr} (${info.name}) cannot be wired: it raises SIGILL outside a uprobe trampoline`);
    }
    if (!this.wiredReasons.has(info.nr)) {
      if (this.frozen) {
        throw new TypeError(`syscall ${info.name} (${info.nr}) was not wired at spawn; wire it with the stubs option or --stub ${info.name} before the first spawn`);
      }
      this.wiredReasons.set(info.nr, reason);
    }
    return info;
  }

  /**
   * Wire every stub and unassigned slot (0..MAX) for the stub report
   * (stub-report.ts), before the first spawn: calls the kernel would answer
   * ENOSYS without sysstub seeing them now reach the table, which answers them
   * the same.
   */
  wireReport(): void {
    for (let nr = 0; nr <= MAX_SYSCALL_NR; nr++) {
      if (!reportedSlot(syscallByNr(nr)!)) continue;
      this.wire(nr, 'report');
      this.reported.add(nr);
    }
  }

  isWired(nr: number): boolean {
    return this.wiredReasons.has(nr);
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /**
   * Freeze the wiring and return the filter's actions, one per number
   * 0..MAX: `ptrace` sends every slot through the ptrace route (the fallback), `notif`
   * (absent with forcePtrace, or when no slot takes that route: no listener
   * to hand over) uses user notification where the route allows.
   */
  freeze(opts: { forcePtrace: boolean; sealConstants: boolean }): { ptrace: Uint32Array; notif?: Uint32Array } {
    this.frozen = true;
    const ptrace = new Uint32Array(MAX_SYSCALL_NR + 1).fill(SECCOMP_RET_ALLOW);
    const notif = new Uint32Array(MAX_SYSCALL_NR + 1).fill(SECCOMP_RET_ALLOW);
    for (const nr of this.wiredReasons.keys()) {
      const route = this.route(nr, opts);
      ptrace[nr] = this.traceAction(nr);
      if (route === 'filter') {
        const c = this.topConstant(nr) as Extract<Outcome, { type: 'error' }>;
        this.sealed.set(nr, this.stacks.get(nr)!.at(-1)!.module.name);
        ptrace[nr] = notif[nr] = (SECCOMP_RET_ERRNO | c.errno) >>> 0;
      } else {
        notif[nr] = route === 'notif' ? SECCOMP_RET_USER_NOTIF : ptrace[nr];
      }
    }
    // No slot on the notif route: no listener to hand over at each spawn.
    return opts.forcePtrace || !notif.includes(SECCOMP_RET_USER_NOTIF) ? { ptrace } : { ptrace, notif };
  }

  /**
   * The filter an attached process gets (native/attach.h): SECCOMP_RET_TRACE
   * for each wired slot, nothing answered in the filter itself, so that it is
   * invisible once detached. Only when every wired and traced slot is one the
   * kernel answers with ENOSYS; else the real calls that need PTRACE_SYSCALL stops.
   */
  attachFilter(): { actions: Uint32Array } | { realCalls: string[] } {
    const real = [...new Set([...this.wiredReasons.keys(), ...this.traced])].filter((nr) => this.bottom(nr) === 'kernel');
    if (real.length > 0) return { realCalls: real.sort((a, b) => a - b).map((nr) => syscallByNr(nr)?.name ?? `syscall_${nr}`) };
    this.frozen = true;
    const actions = new Uint32Array(MAX_SYSCALL_NR + 1).fill(SECCOMP_RET_ALLOW);
    for (const nr of this.wiredReasons.keys()) actions[nr] = this.traceAction(nr);
    return { actions };
  }

  /**
   * A slot's SECCOMP_RET_TRACE action. RET_DATA carries the slot number: it
   * shows in PTRACE_GETEVENTMSG. Not for the report's ~660 slots: one action
   * makes them a few runs, so the filter stays within BPF_MAXINSNS with any
   * trace set (the tracer takes the number from orig_rax).
   */
  private traceAction(nr: number): number {
    return (SECCOMP_RET_TRACE | (this.wiredReasons.get(nr) === 'report' ? 0 : nr)) >>> 0;
  }

  isSealed(nr: number): boolean {
    return this.sealed.has(nr);
  }

  wiredNumbers(): number[] {
    return [...this.wiredReasons.keys()].sort((a, b) => a - b);
  }

  /** The bottom of a slot's chain: the kernel for real calls, ENOSYS for stubs and new numbers. */
  bottom(nr: number): SlotBottom {
    return syscallByNr(nr)?.status === 'implemented' ? 'kernel' : 'enosys';
  }

  hasHandlers(nr: number): boolean {
    return (this.stacks.get(nr)?.length ?? 0) > 0;
  }

  /** The constant answer of the slot's top entry, if it is one (not counted). */
  topConstant(nr: number): Outcome | undefined {
    const top = this.top(nr);
    return top && !top.when ? top.constant : undefined;
  }

  /** The module whose constant is on top of the slot (counted or not): what a native answer came from. */
  constantOwner(nr: number): string | undefined {
    const top = this.top(nr);
    return top?.constant ? top.module.name : undefined;
  }

  /** @internal The slot's top entry, if it is a counted constant. */
  topCounted(nr: number): (HandlerEntry & { constant: Outcome; when: When }) | undefined {
    const top = this.top(nr);
    return top?.constant && top.when ? (top as HandlerEntry & { constant: Outcome; when: When }) : undefined;
  }

  private top(nr: number): HandlerEntry | undefined {
    const stack = this.stacks.get(nr);
    return stack && stack.length ? stack[stack.length - 1] : undefined;
  }

  /**
   * @internal
   * Tell a native slot table (the tracer's or a listener's) what a call on nr
   * does now: a constant or a counted constant on top is decided natively, a
   * handler goes to JS, and an empty slot runs the kernel's call or answers
   * as an empty stub.
   */
  pushTo(target: NativeSlotTable, nr: number): void {
    // The report counts every call in JS (call.ts); the chain gives the same answer there.
    if (this.reported.has(nr)) return target.setSlot(nr, SlotDisposition.Handler, 0n);
    const counted = this.topCounted(nr);
    // Natively only with nothing but the slot's bottom below it: a call the
    // rule lets pass must reach the handlers below, and JS counts then (call.ts).
    if (counted && this.stacks.get(nr)!.length === 1) {
      const { first, last, step } = counted.when;
      const c = counted.constant;
      target.setCounted(nr, {
        first, last: last === Infinity ? 0 : last, step, isErrno: c.type === 'error',
        value: c.type === 'error' ? BigInt(c.errno) : c.type === 'return' ? BigInt.asIntN(64, c.value) : 0n,
        bottomKernel: this.bottom(nr) === 'kernel',
      });
      return;
    }
    const top = this.topConstant(nr);
    if (top?.type === 'error') target.setSlot(nr, SlotDisposition.Errno, BigInt(top.errno));
    else if (top?.type === 'return') target.setSlot(nr, SlotDisposition.Value, BigInt.asIntN(64, top.value));
    else if (this.hasHandlers(nr)) target.setSlot(nr, SlotDisposition.Handler, 0n);
    else if (this.bottom(nr) === 'kernel') target.setSlot(nr, SlotDisposition.Kernel, 0n);
    else target.setSlot(nr, SlotDisposition.Errno, BigInt(EMPTY_STUB_ERRNO));
  }

  /** The route a slot's calls take in a tree spawned now (see SlotRoute). */
  route(nr: number, opts: { forcePtrace: boolean; sealConstants: boolean }): SlotRoute {
    // execve/execveat stay out of the filter: the supervisor's own child makes
    // one before the program runs, and only a stop can tell it apart.
    if (this.traced.has(nr)) return 'ptrace';
    if (opts.sealConstants && this.topConstant(nr)?.type === 'error' && !EXEC_NRS.has(nr) && !this.reported.has(nr)) return 'filter';
    if (opts.forcePtrace || this.bottom(nr) === 'kernel') return 'ptrace';
    return 'notif';
  }

  /** Load a module on top of every slot it handles. Throws on a duplicate name or an unwired slot. */
  load(def: Module | ModuleDefinition): LoadedModule {
    const module = asModule(def);
    if (this.loaded.has(module.name)) {
      throw new TypeError(`module "${module.name}" is already loaded; unload it first`);
    }
    // Resolve every key before touching anything: a bad key loads nothing.
    const entries: { nr: number; spec: Handler | HandlerSpec | ConstantSpec }[] = [];
    const keyOf = new Map<number, string>(); // two keys for one call (getpmsg and 181): one would be lost
    for (const [key, spec] of Object.entries(module.syscalls) as [string, SlotEntry][]) {
      let info: SyscallInfo;
      try {
        info = parseSyscallRef(key);
      } catch (err) {
        throw new TypeError(`module "${module.name}": ${(err as Error).message}`);
      }
      const other = keyOf.get(info.nr);
      if (other !== undefined) {
        throw new TypeError(`module "${module.name}": syscalls.${other} and syscalls.${key} are the same call (${info.name}, ${info.nr}); give one handler per call`);
      }
      keyOf.set(info.nr, key);
      if (!this.wiredReasons.has(info.nr) && this.frozen) {
        throw new TypeError(`module "${module.name}" handles ${info.name} (${info.nr}), which was not wired at spawn; ` +
          `load it before the first spawn or wire it with --stub ${info.name}`);
      }
      const sealedBy = this.sealed.get(info.nr);
      if (sealedBy !== undefined) {
        throw new TypeError(`module "${module.name}" handles ${info.name} (${info.nr}), which the seccomp filter answers itself ` +
          `(a constant from module "${sealedBy}", sealed at spawn); create the supervisor without sealConstants to keep it open`);
      }
      entries.push({ nr: info.nr, spec });
    }
    for (const { nr } of entries) this.wire(nr, 'module');
    const lm: LoadedModule = { module, name: module.name, inflight: 0, drained: [], unloading: false };
    this.loaded.set(module.name, lm);
    for (const { nr, spec } of entries) {
      let entry: HandlerEntry;
      if (typeof spec === 'function') entry = { module: lm, handler: spec, timeout: undefined };
      else if ('handler' in spec) entry = { module: lm, handler: spec.handler, timeout: spec.timeout };
      else {
        const where = `module "${module.name}": ${nr}`;
        const constant = constantOutcome(spec as ConstantSpec, where);
        const when = constantWhen(spec as ConstantSpec, where);
        entry = when
          ? { module: lm, handler: () => constant, timeout: undefined, constant, when, counts: new Map() }
          : { module: lm, handler: () => constant, timeout: undefined, constant };
      }
      const stack = this.stacks.get(nr) ?? [];
      stack.push(entry);
      this.stacks.set(nr, stack);
      this.chains.delete(nr);
      this.onSlotChange(nr);
    }
    return lm;
  }

  /**
   * Remove a module: calls that start from now on no longer see it; the
   * promise resolves once the calls in flight that could run it have drained.
   */
  unload(name: string): Promise<void> {
    const lm = this.loaded.get(name);
    if (!lm) {
      const names = [...this.loaded.keys()];
      return Promise.reject(new TypeError(`module "${name}" is not loaded (loaded: ${names.length ? names.join(', ') : 'none'})`));
    }
    this.loaded.delete(name);
    lm.unloading = true;
    for (const [nr, stack] of this.stacks) {
      const kept = stack.filter((e) => e.module !== lm);
      if (kept.length !== stack.length) {
        this.stacks.set(nr, kept);
        this.chains.delete(nr);
        this.onSlotChange(nr);
      }
    }
    if (lm.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => lm.drained.push(resolve));
  }

  /** Per slot: the chain a call starting now runs (top first) and its distinct modules; rebuilt on load/unload. */
  private readonly chains = new Map<number, { chain: HandlerEntry[]; mods: LoadedModule[] }>();

  /** @internal The handlers a call starting now runs, top first; each module is held until release(). */
  acquire(nr: number): readonly HandlerEntry[] {
    let c = this.chains.get(nr);
    if (!c) {
      const chain = (this.stacks.get(nr) ?? []).slice().reverse();
      c = { chain, mods: [...new Set(chain.map((e) => e.module))] };
      this.chains.set(nr, c);
    }
    for (const m of c.mods) m.inflight++;
    return c.chain;
  }

  /** @internal */
  release(chain: readonly HandlerEntry[]): void {
    if (chain.length === 0) return;
    const seen = chain.length === 1 ? [chain[0].module] : [...new Set(chain.map((e) => e.module))];
    for (const m of seen) {
      m.inflight--;
      if (m.inflight === 0 && m.unloading) {
        for (const resolve of m.drained.splice(0)) resolve();
      }
    }
  }

  modules(): string[] {
    return [...this.loaded.keys()];
  }

  /** Rows for `sysstub table`: every assigned number, plus wired unassigned ones. */
  rows(all: readonly SyscallInfo[]): SlotRow[] {
    const nrs = new Set(all.map((s) => s.nr));
    for (const nr of this.wiredReasons.keys()) nrs.add(nr);
    return [...nrs].sort((a, b) => a - b).map((nr) => {
      const info = syscallByNr(nr)!;
      return {
        nr,
        name: info.name,
        native: info.status,
        wired: this.wiredReasons.has(nr),
        modules: (this.stacks.get(nr) ?? []).map((e) => e.module.name).reverse(),
      };
    });
  }
}
