// Built-in modules, by the name `sysstub run -m NAME` uses.
import type { Module } from '../module.js';
import { parseSyscallRef } from '../syscalls/index.js';
import { streams } from './streams.js';
import { BUILTIN_MODULES, isBuiltinModuleName, type BuiltinModuleName } from './names.js';
export { faults } from './faults.js';
export type { FaultSpec, FaultCall, FaultKey } from './faults.js';

export const builtinModules: Readonly<Record<BuiltinModuleName, { description: string; create: () => Module }>> = {
  streams: { description: BUILTIN_MODULES.streams, create: streams },
};

export function loadBuiltinModule(name: string): Module | undefined {
  return isBuiltinModuleName(name) ? builtinModules[name].create() : undefined;
}

/** The built-in modules that fill each slot, by number (`sysstub table`'s BUILTIN column). */
export function builtinSlots(): Map<number, string[]> {
  const fills = new Map<number, string[]>();
  for (const [name, b] of Object.entries(builtinModules)) {
    for (const key of Object.keys(b.create().syscalls)) {
      const nr = parseSyscallRef(key).nr;
      fills.set(nr, [...(fills.get(nr) ?? []), name]);
    }
  }
  return fills;
}
