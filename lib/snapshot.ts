// The entry of the CLI's startup snapshot (README "Routes and performance", Start-up). scripts/
// snapshot.mjs bundles this with everything it imports into one script
// (dist/cli-bundle.cjs) and runs `node --build-snapshot` on it: the modules
// are evaluated then, and the heap they leave is saved, so that `sysstub`
// starts about as fast as `node -e 0` instead of loading some 40 modules
// first (bin/sysstub.js picks the snapshot when it fits this node).
//
// What runs at build time must not depend on the machine or the run: module
// top levels only build constant tables. Everything else (the addon, fds,
// signals, argv, env) is touched by main(), after deserialization.
import v8 from 'node:v8';
import vm from 'node:vm';
import { main, prepareMain } from './cli.js';
import { setImporter } from './dynamic-import.js';
import { packageRoot } from './package-root.js';

// Evaluated now, so they are in the heap: the modules `run` loads lazily.
void Promise.all([import('./supervisor.js'), import('./native.js'), import('./modules/index.js'), import('./stub-table.js'), import('./syscalls/index.js')]);
prepareMain();

v8.startupSnapshot.setDeserializeMainFunction(() => {
  let load: ((s: string) => Promise<Record<string, unknown>>) | undefined;
  setImporter((specifier) => {
    // Compiled with the main context's loader: import() from it resolves as
    // from dist/ (Node >= 20.17 has the option; it warns that it is
    // experimental, once, from the import() call: that warning is not the
    // user's business, so it is taken out of that one call).
    load ??= new vm.Script('(s) => import(s)', {
      filename: `${packageRoot}/dist/cli-bundle.cjs`,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }).runInThisContext() as (s: string) => Promise<Record<string, unknown>>;
    const emitWarning = process.emitWarning;
    process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
      if (!String(w).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) (emitWarning as (...a: unknown[]) => void).call(process, w, ...rest);
    }) as typeof process.emitWarning;
    try {
      return load(specifier);
    } finally {
      process.emitWarning = emitWarning;
    }
  });
  // Not for node processes a module starts (child_process.fork passes execArgv on): this snapshot would run sysstub.
  const at = process.execArgv.indexOf('--snapshot-blob');
  if (at >= 0) process.execArgv.splice(at, 2);
  // bin/sysstub.js ran `node --snapshot-blob BLOB -- ARGS`: process.argv is
  // [node, ...ARGS], with no script path where main() expects one.
  void main([process.argv[0]!, 'sysstub', ...process.argv.slice(1)]);
});
