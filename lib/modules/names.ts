// The built-in modules' names and descriptions, apart from their code: the
// CLI's help and its -m NAME check need only these, and load the module
// itself (lib/modules/index.ts) when it is asked for.

/** A built-in module's name, as `sysstub run -m NAME` takes it. */
export type BuiltinModuleName = 'streams';

export const BUILTIN_MODULES: Readonly<Record<BuiltinModuleName, string>> = {
  streams: 'STREAMS getpmsg/putpmsg on pipes and FIFOs',
};

export function isBuiltinModuleName(name: string): name is BuiltinModuleName {
  return Object.hasOwn(BUILTIN_MODULES, name);
}
