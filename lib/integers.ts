// The one strict integer parser for user input: CLI options (-s, -a,
// --handler-timeout), -e inject= values (retval, argN, nth, fd, error,
// signal), and the numbers of the library's options. Exact range checks in
// BigInt (a 64-bit value never goes through a double); every error names the
// input, the forms accepted and the range. strace parses its values with
// strtoul(3) base 10, except retval= (strtoull base 0: decimal, 0x hex,
// 0 octal); sysstub accepts the same forms where strace has the key.

/**
 * Which spellings are accepted: 'decimal' (digits, with a '-' when the range
 * has negatives) or 'c' (strtoull(3) base 0: decimal, 0x hex, 0 octal, a leading '-').
 */
export type IntegerForms = 'decimal' | 'c';

export interface IntegerSpec {
  /** The input's name in messages: '-s', 'nth', 'retval'. */
  what: string;
  min: bigint;
  max: bigint;
  forms?: IntegerForms;
}

export const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n } as const;
/** A syscall argument or return value: signed or unsigned 64-bit. */
export const INT64_OR_UINT64 = { min: -(2n ** 63n), max: 2n ** 64n - 1n } as const;
export const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A bad integer: a RangeError whose message names the input and what is valid. */
export class IntegerError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'IntegerError';
  }
}

function expected(spec: IntegerSpec): string {
  const forms = spec.forms === 'c' ? 'an integer (decimal, 0x hex or 0 octal)' : 'a decimal integer';
  return `expected ${forms} in ${spec.min}..${spec.max}`;
}

/** Parse `text` as an integer of `spec`'s forms and range; throws IntegerError. */
export function parseInteger(text: string, spec: IntegerSpec): bigint {
  const re = spec.forms === 'c' ? /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/ : /^(-?)([0-9]+)$/;
  const m = re.exec(text);
  if (!m || (m[1] && spec.min >= 0n)) throw new IntegerError(`${spec.what} ${JSON.stringify(text)}: ${expected(spec)}`);
  const digits = m[2];
  const abs = /^0[xX]/.test(digits) ? BigInt(digits) : spec.forms === 'c' && /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const v = m[1] ? -abs : abs;
  if (v < spec.min || v > spec.max) throw new IntegerError(`${spec.what} ${JSON.stringify(text)} is out of range: ${expected(spec)}`);
  return v;
}

/** parseInteger for a range within the safe integers, as a number. */
export function parseSafeInteger(text: string, spec: IntegerSpec): number {
  return Number(parseInteger(text, spec));
}

/**
 * A number or bigint given to the library: an integer in [min, max], or a
 * TypeError (not an integer) / RangeError (out of range) naming `what`.
 */
export function checkInteger(value: unknown, what: string, min: bigint, max: bigint): bigint {
  const range = `an integer (number or bigint) in ${min}..${max}`;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be ${range}, got ${value}`);
  } else if (typeof value !== 'bigint') {
    throw new TypeError(`${what} must be ${range}, got ${value === null ? 'null' : typeof value}`);
  }
  const v = BigInt(value);
  if (v < min || v > max) throw new RangeError(`${what} must be ${range}, got ${v}`);
  return v;
}
