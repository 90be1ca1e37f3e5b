// siginfo_t as strace prints it in `--- SIG {si_signo=..., si_code=...} ---`
// (x86-64 layout: signo@0, errno@4, code@8, then the union at 16).
import { signalName } from './flags.js';

const SI_CODES: Record<number, string> = { 0: 'SI_USER', 0x80: 'SI_KERNEL', [-1]: 'SI_QUEUE', [-2]: 'SI_TIMER', [-3]: 'SI_MESGQ', [-4]: 'SI_ASYNCIO', [-5]: 'SI_SIGIO', [-6]: 'SI_TKILL' };
const CLD_CODES = ['', 'CLD_EXITED', 'CLD_KILLED', 'CLD_DUMPED', 'CLD_TRAPPED', 'CLD_STOPPED', 'CLD_CONTINUED'];
const SEGV_CODES = ['', 'SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_BNDERR', 'SEGV_PKUERR'];
const FAULTS = new Set([4, 5, 7, 8, 11]); // SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV: si_addr

/** `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=..., ...}`, or undefined for a short buffer. */
export function formatSiginfo(b: Uint8Array): string | undefined {
  if (b.length < 48) return undefined;
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const signo = d.getInt32(0, true);
  const code = d.getInt32(8, true);
  const sig = signalName(signo);
  const parts = [`si_signo=${sig}`];
  if (code <= 0 || code === 0x80) {
    parts.push(`si_code=${SI_CODES[code] ?? code}`);
    if (code === 0 || code === -6 || code === -1) parts.push(`si_pid=${d.getInt32(16, true)}`, `si_uid=${d.getUint32(20, true)}`);
    if (code === 0x80 && FAULTS.has(signo)) parts.push(`si_addr=${addr(d.getBigUint64(16, true))}`);
  } else if (signo === 17) {
    parts.push(`si_code=${CLD_CODES[code] ?? code}`, `si_pid=${d.getInt32(16, true)}`, `si_uid=${d.getUint32(20, true)}`);
    const status = d.getInt32(24, true);
    parts.push(`si_status=${code === 1 ? status : signalName(status)}`);
    parts.push(`si_utime=${d.getBigInt64(32, true)}`, `si_stime=${d.getBigInt64(40, true)}`);
  } else if (FAULTS.has(signo)) {
    parts.push(`si_code=${signo === 11 ? SEGV_CODES[code] ?? code : code}`, `si_addr=${addr(d.getBigUint64(16, true))}`);
  } else {
    parts.push(`si_code=${code}`);
  }
  return `{${parts.join(', ')}}`;
}

const addr = (v: bigint) => (v === 0n ? 'NULL' : `0x${v.toString(16)}`);
