// Signal names and numbers as the public surface takes and reports them
// (signal(7); node's os.constants.signals), and signal sets as the kernel
// prints them in /proc/PID/status: bit n-1 for signal n.
import os from 'node:os';

// First name wins: SIGABRT over SIGIOT, SIGIO over SIGPOLL.
export const signalNames = new Map<number, NodeJS.Signals>();
for (const [name, n] of Object.entries(os.constants.signals)) {
  if (!signalNames.has(n)) signalNames.set(n, name as NodeJS.Signals);
}

/** A signal's name where it has one ('SIGUSR1'), else its number (real-time signals). */
export function signalName(n: number): NodeJS.Signals | number {
  return signalNames.get(n) ?? n;
}

/** The number of a signal given by name or number; a TypeError naming `what` otherwise. */
export function signalNumber(sig: NodeJS.Signals | number, what: string): number {
  const n = typeof sig === 'number' ? sig : os.constants.signals[sig];
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new TypeError(`${what}: ${String(sig)} is not a signal (a name like 'SIGHUP' or a number 1..64)`);
  return n;
}

/** The bit of signal n in a /proc/PID/status mask. */
export const sigbit = (n: number): bigint => 1n << BigInt(n - 1);

/** A signal set as a 64-bit mask, bit n-1 for signal n (as /proc/PID/status prints it). */
export function sigmask(sigs: readonly (NodeJS.Signals | number)[] | undefined, what: string): bigint {
  let m = 0n;
  for (const s of sigs ?? []) m |= sigbit(signalNumber(s, what));
  return m;
}
