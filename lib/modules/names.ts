// The built-in modules' names and descriptions, apart from their code: the
// CLI's help and its -m NAME check need only these, and load the module
// itself (lib/modules/index.ts) when it is asked for.
export const BUILTIN_MODULES = {
  streams: 'STREAMS getpmsg/putpmsg on pipes and FIFOs',
} as const;

export type BuiltinModuleName = keyof typeof BUILTIN_MODULES;

export function isBuiltinModuleName(name: string): name is BuiltinModuleName {
  return Object.hasOwn(BUILTIN_MODULES, name);
}
