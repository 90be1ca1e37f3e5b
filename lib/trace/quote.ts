// strace's string quoting (util.c string_quote() with the default -x off): printable ASCII as
// is, C escapes for \t \n \v \f \r \" \\, and octal escapes for every other byte, UTF-8 bytes
// included. The octal escape is the shortest one unless the next byte is an octal digit.

const ESCAPES: Record<number, string> = {
  0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\',
};

function isOctalDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x37;
}

/**
 * Quote `bytes` as strace does: at most `strsize` bytes inside the quotes, then `...` after the
 * closing quote when the data was longer than that or `truncated` says more existed.
 */
export function quoteString(bytes: Uint8Array, strsize: number, truncated: boolean): string {
  const n = Math.min(bytes.length, Math.max(0, strsize));
  let s = '"';
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    const esc = ESCAPES[c];
    if (esc !== undefined) s += esc;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else if (i + 1 < n && isOctalDigit(bytes[i + 1])) s += '\\' + c.toString(8).padStart(3, '0');
    else s += '\\' + c.toString(8);
  }
  s += '"';
  if (truncated || bytes.length > n) s += '...';
  return s;
}

/** Every byte as `\xNN` (strace's QUOTE_FORCE_HEX, used for getrandom buffers). */
export function quoteHex(bytes: Uint8Array, strsize: number, truncated: boolean): string {
  const n = Math.min(bytes.length, Math.max(0, strsize));
  let s = '"';
  for (let i = 0; i < n; i++) s += '\\x' + bytes[i].toString(16).padStart(2, '0');
  s += '"';
  if (truncated || bytes.length > n) s += '...';
  return s;
}
