// Machine properties some tests depend on, observed natively once per test
// run (test/global-setup.ts hands them to every test file; test/probes.ts reads
// them). No vitest imports: this runs in the main process too.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Machine {
  /** int 0x80 works in a 64-bit process (IA32 emulation built in and enabled). */
  ia32: boolean;
  /** seccomp gives a user-notification listener (SECCOMP_FILTER_FLAG_NEW_LISTENER, 5.0). */
  userNotif: boolean;
  /** The listener accepts SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6). */
  syncWakeUp: boolean;
  /** The listener can be asked for with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19). */
  killableRecv: boolean;
  /** strace's version ("6.1"), or null when it is not installed. */
  strace: string | null;
  /** raise(SIGTSTP) stops a child in the runner's process group: false when the group is orphaned. */
  tstpStops: boolean;
}

/** Why a test that needs the property is skipped when the property is false. */
export const reasons: Record<keyof Machine, string> = {
  ia32: 'kernel has no IA32 emulation (int 0x80 faults natively)',
  userNotif: 'no seccomp user notification here (SECCOMP_FILTER_FLAG_NEW_LISTENER fails natively, or SYSSTUB_NO_USER_NOTIF=1)',
  syncWakeUp: 'kernel refuses SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux < 6.6)',
  killableRecv: 'kernel refuses SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux < 5.19)',
  strace: 'strace is not installed',
  tstpStops: "the runner's process group is orphaned, so the kernel discards SIGTSTP",
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Run test/fixtures/build/probe and strace -V. */
export function detect(): Machine {
  const out = execFileSync(path.join(root, 'test', 'fixtures', 'build', 'probe'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const seen = new Map(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
  const yes = (k: string): boolean => {
    const v = seen.get(k);
    if (v !== 'yes' && v !== 'no') throw new Error(`test/fixtures/build/probe printed no ${k}= line:\n${out}`);
    return v === 'yes';
  };
  let strace: string | null = null;
  try {
    const v = execFileSync('strace', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    strace = /version (\S+)/.exec(v)?.[1] ?? 'unknown';
  } catch {
    strace = null;
  }
  // The supervisor honours SYSSTUB_NO_USER_NOTIF=1 as a kernel without the
  // feature; tests that need it skip then too, so the fallback can be run whole.
  const userNotif = yes('user_notif') && process.env.SYSSTUB_NO_USER_NOTIF !== '1';
  return { ia32: yes('ia32'), userNotif, syncWakeUp: userNotif && yes('sync_wake_up'), killableRecv: userNotif && yes('killable_recv'), strace, tstpStops: yes('tstp_stops') };
}

/** One line for the log: "machine: ia32=no user_notif=yes ...". */
export function describeMachine(m: Machine): string {
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  return `machine: ia32=${yn(m.ia32)} user_notif=${yn(m.userNotif)} sync_wake_up=${yn(m.syncWakeUp)} killable_recv=${yn(m.killableRecv)} strace=${m.strace ?? 'no'} tstp_stops=${yn(m.tstpStops)}`;
}
