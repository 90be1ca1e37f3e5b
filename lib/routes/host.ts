// What a route needs of its Supervisor: the stub table, the process tree,
// the tracer, and the one way every trapped call is run (callSite + watched).
// routes/ptrace.ts and routes/notif.ts are the two ways a trapped call
// reaches JS and its answer goes back; they read side by side.
import { CallSite, type CallAbort, type HandlerReport, type RouteCall } from '../call.js';
import type { NativeTracer } from '../native.js';
import type { ProcessTree } from '../process-tree.js';
import type { StubReportCounter } from '../stub-report.js';
import type { StubTable } from '../stub-table.js';

export interface RouteHost {
  readonly table: StubTable;
  readonly tree: ProcessTree;
  readonly handlerTimeout: number | null;
  /** Counts the calls of the stub report's slots (option report), or undefined. */
  readonly stubCounter: StubReportCounter | undefined;
  /** The tracer thread (undefined before the first spawn). */
  tracer(): NativeTracer | undefined;
  /** Runs a handler chain's synchronous part where the native watchdog sees it. */
  watched<T>(nr: number, run: () => T): T;
  /** Calls in flight changed: keep Node's loop alive while there are any. */
  updateRef(): void;
  report(r: HandlerReport): void;
  emit(event: string, payload: unknown): boolean;
}

/** The CallSite a chain of handlers runs against (call.ts), on this host's table and settings. */
export function callSite(host: RouteHost, nr: number, pid: number, tid: number, route: RouteCall, ctl: CallAbort): CallSite {
  const counter = host.table.reported.has(nr) ? host.stubCounter : undefined;
  return new CallSite(nr, pid, tid, route, ctl, host.table.bottom(nr), host.handlerTimeout, (r) => host.report(r), host.table.traced.has(nr), counter);
}
