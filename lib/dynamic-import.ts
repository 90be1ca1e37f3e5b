// import() of code that is not sysstub's own: a user's module file, and
// @swc/wasm-typescript. One function, so that the CLI's startup snapshot
// (lib/snapshot.ts) can swap in a loader: code deserialized from a snapshot
// has no module loader behind its import() (Node 20: ERR_VM_DYNAMIC_IMPORT_
// CALLBACK_MISSING), so there it goes through a vm.Script that uses the main
// context's.

/** An absolute file: URL, or a package name (resolved from sysstub's own dist/). */
export type Importer = (specifier: string) => Promise<Record<string, unknown>>;

let importer: Importer = (specifier) => import(specifier) as Promise<Record<string, unknown>>;

export function importModule(specifier: string): Promise<Record<string, unknown>> {
  return importer(specifier);
}

/** lib/snapshot.ts only. */
export function setImporter(f: Importer): void {
  importer = f;
}
