// What tests import to depend on a machine property: `probe` (observed once
// per run by test/global-setup.ts) and needs(), whose it/describe skip with
// the reason in the test's name, so that a skip is counted and says why
// (test/summary-reporter.ts lists them). Never return early from a test body.
import { describe, inject, it } from 'vitest';
import { detect, reasons, type Machine } from './machine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    machine: Machine;
  }
}

/** The machine's properties; detected here when run without the global setup. */
export const probe: Machine = inject('machine') ?? detect();

type Fn = () => unknown;

/** it/describe that run only when ok; skipped ones are titled "... [skipped: <reason>]". */
export function onlyIf(ok: boolean, reason: string) {
  const title = (t: string) => (ok ? t : `${t} [skipped: ${reason}]`);
  return {
    it: (t: string, fn: Fn, timeout?: number) => it.skipIf(!ok)(title(t), fn, timeout),
    describe: (t: string, fn: () => void) => describe.skipIf(!ok)(title(t), fn),
  };
}

/** it/describe that run only where machine property p holds. */
export function needs(p: keyof Machine) {
  return onlyIf(Boolean(probe[p]), reasons[p]);
}
