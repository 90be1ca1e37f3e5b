// Public API of sysstub.
export { Supervisor, SupervisedChild, SpawnError, resolveProgram } from './supervisor.js';
export type { SupervisorOptions, SpawnOptions, StdioOption, ExitResult } from './supervisor.js';
export { run } from './run.js';
export type { RunOptions, RunResult } from './run.js';
export { defineModule, SyscallError } from './module.js';
export type { Call, Handler, HandlerSpec, HandlerResult, Module, ModuleDefinition, Outcome, SyscallArgs, ErrnoLike } from './module.js';
export type { HandlerReport, HandlerFault } from './call.js';
export { HANDLER_FAULT_ERRNO, HANDLER_TIMEOUT_ERRNO } from './call.js';
export { StubTable } from './stub-table.js';
export type { SlotRow } from './stub-table.js';
export { syscallByNr, syscallByName, allSyscalls, KERNEL_STUBS } from './syscalls/index.js';
export type { SyscallInfo, SyscallStatus, SyscallClass } from './syscalls/index.js';
export { errnoName, errnoNumber, strerror } from './errno.js';
export { builtinModules, loadBuiltinModule } from './modules/index.js';
export type { TracerStats } from './native.js';
