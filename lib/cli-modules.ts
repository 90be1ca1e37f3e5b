// The CLI's -m: built-in modules by name, module files (.js, .mjs, .ts) by
// path, checked at load so that an error names the file; and the rejections
// a module's code leaves unhandled, contained as handler failures.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { safeText } from './call.js';
import { UsageError } from './cli-flags.js';
import { importModule } from './dynamic-import.js';
import { isModuleShaped, type Module, type ModuleDefinition } from './module.js';
import { BUILTIN_MODULES, isBuiltinModuleName } from './modules/names.js';
import { StubTable } from './stub-table.js';

/** -m NAME|PATH: a built-in module, or a .js/.mjs/.ts file whose default export is a module. */
export async function loadModuleRef(ref: string): Promise<Module | ModuleDefinition> {
  if (isBuiltinModuleName(ref)) {
    const { loadBuiltinModule } = await import('./modules/index.js');
    return loadBuiltinModule(ref)!;
  }
  const looksLikePath = ref.includes('/') || /\.(m?js|ts|mts)$/.test(ref);
  if (!looksLikePath) {
    throw new UsageError(`unknown module "${ref}" (built-in: ${Object.keys(BUILTIN_MODULES).join(', ')}; or a path to a .js/.mjs/.ts file)`);
  }
  const file = path.resolve(ref);
  if (!fs.existsSync(file)) throw new UsageError(`module file ${ref} not found`);
  let mod: unknown;
  try {
    const ns: Record<string, unknown> = /\.m?ts$/.test(file) ? await importTypeScript(file) : await importModule(pathToFileURL(file).href);
    mod = ns.default ?? ns.module;
    // A factory (sync or async) runs here, so that its throw names the file too.
    if (typeof mod === 'function') mod = await (mod as () => unknown)();
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as Error;
    throw new UsageError(`cannot load module ${ref}: ${e?.name ?? 'Error'}: ${String(e?.message ?? e).split('\n')[0]}`);
  }
  if (!isModuleShaped(mod)) {
    throw new UsageError(`module file ${ref} must default-export a module: defineModule({ name, syscalls }) or a plain object of that shape`);
  }
  // Check its handlers and keys now (a scratch table), so that the error names the file.
  try {
    new StubTable().load(mod);
  } catch (err) {
    throw new UsageError(`module file ${ref}: ${(err as Error).message}`);
  }
  return mod;
}

/**
 * .ts and .mts modules are transpiled by SWC's WebAssembly TypeScript
 * transform (@swc/wasm-typescript, a dependency; what Node's own type
 * stripping runs), so whatever TypeScript a user has, 6 with its JS API or 7
 * without one, plays no part. Types are not checked; enums and namespaces are
 * transformed too.
 */
async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  const { transformSync } = ((await importModule('@swc/wasm-typescript')).default as typeof import('@swc/wasm-typescript'));
  let out: string;
  try {
    out = transformSync(fs.readFileSync(file, 'utf8'), { mode: 'transform', filename: file }).code;
  } catch (err) {
    // SWC throws plain objects: { message, startLine, startColumn, ... }.
    const e = err as { message?: unknown; startLine?: number; startColumn?: number };
    const where = e && typeof e.startLine === 'number' ? `:${e.startLine}:${(e.startColumn ?? 0) + 1}` : '';
    throw new UsageError(`cannot load module ${path.basename(file)}${where}: not valid TypeScript: ${String(e?.message ?? err).split('\n')[0]}`);
  }
  // A sibling file, so that its relative and package imports resolve as the .ts would.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.sysstub.mjs`);
  fs.writeFileSync(tmp, out);
  try {
    return await importModule(pathToFileURL(tmp).href);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * A promise a module's code rejects and never awaits (`Promise.reject()` in a
 * handler) would end Node, and with it sysstub and the supervised program. It is
 * a handler failure like the others: one line on stderr, named after the
 * module file its stack points into when it has one, and the program goes on.
 */
export function containRejections(refs: readonly string[]): void {
  const files = refs.filter((r) => !isBuiltinModuleName(r)).map((ref) => ({ ref, file: path.resolve(ref) }));
  process.on('unhandledRejection', (reason) => {
    const e = reason as Error | undefined;
    const isError = e instanceof Error;
    const text = safeText(() => (isError ? `${e.name}: ${String(e.message).split('\n')[0]}` : String(reason).split('\n')[0]));
    const stack = safeText(() => (isError && typeof e.stack === 'string' ? e.stack : '')).split('\n');
    for (const { ref, file } of files) {
      // A .ts module runs from a transpiled sibling, .<name>.<pid>.sysstub.mjs.
      const marks = [pathToFileURL(file).href, file, path.join(path.dirname(file), `.${path.basename(file)}.`)];
      const frame = stack.find((l) => /^\s+at /.test(l) && marks.some((m) => l.includes(m)));
      if (frame === undefined) continue;
      const where = /:(\d+):(\d+)\)?$/.exec(frame);
      process.stderr.write(`sysstub: module ${ref}: unhandled promise rejection: ${text}${where ? ` (${path.basename(file)}:${where[1]}:${where[2]})` : ''}; the program goes on\n`);
      return;
    }
    process.stderr.write(`sysstub: unhandled promise rejection: ${text}; the program goes on\n`);
  });
}
