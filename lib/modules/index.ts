// Built-in modules, by the name `sysstub run -m NAME` uses.
import type { Module } from '../module.js';
import { streams } from './streams.js';
export { faults } from './faults.js';
export type { FaultSpec, FaultCall, FaultKey } from './faults.js';

export const builtinModules: Readonly<Record<string, { description: string; create: () => Module }>> = {
  streams: { description: 'STREAMS getpmsg/putpmsg on pipes and FIFOs', create: streams },
};

export function loadBuiltinModule(name: string): Module | undefined {
  return Object.hasOwn(builtinModules, name) ? builtinModules[name].create() : undefined;
}
