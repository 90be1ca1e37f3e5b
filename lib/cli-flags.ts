// The CLI's flags as commander parses them, its usage error, its exit codes,
// and its one strict number parser. Shared by lib/cli*.ts.
import { IntegerError, parseSafeInteger, type IntegerSpec } from './integers.js';

/** A usage error: one line on stderr, exit 2. */
export class UsageError extends Error {}

// The exit codes of env(1), nohup(1), timeout(1) and the shells.
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

export interface RunFlags {
  module: string[];
  stub: string[];
  handlerTimeout?: string;
  verbose?: boolean;
  route?: string;
  sealConstants?: boolean;
  expr: string[];
  inject: string[];
  fault: string[];
  trace?: string;
  output?: string;
  stringLimit?: string;
  summaryOnly?: boolean;
  timestamps: number;
  syscallTimes?: boolean;
  format?: string;
  json?: boolean;
  columns?: string;
  quiet: number;
  /** --report: the stub report on stderr at exit. */
  report?: boolean;
  /** --report=FILE (commander sees the hidden --report-file, cli-report.ts attachedReportFile). */
  reportFile?: string;
}

/** A CLI number through the one strict parser (lib/integers.ts); its error is a usage error. */
export function cliInteger(text: string, spec: IntegerSpec): number {
  try {
    return parseSafeInteger(text, spec);
  } catch (err) {
    if (err instanceof IntegerError) throw new UsageError(err.message);
    throw err;
  }
}
