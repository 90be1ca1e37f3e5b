// sysstub sees the machine as the native probes do (test/machine.ts): the
// route 'auto' picks and FD_SYNC_WAKE_UP follow what the kernel allows a plain
// process, and the probes themselves are consistent.
import { describe, expect, it } from 'vitest';
import { defineModule, Supervisor } from '../lib/index.js';
import { fixture } from './helpers.js';
import { probe } from './probes.js';

const seven = defineModule({ name: 'seven', syscalls: { getpmsg: () => 7 } });

describe('machine properties', () => {
  it(`route 'auto' takes the user-notification route exactly where the kernel gives a listener natively (here: ${probe.userNotif ? 'yes' : 'no'}, FD_SYNC_WAKE_UP ${probe.syncWakeUp ? 'yes' : 'no'}, WAIT_KILLABLE_RECV ${probe.killableRecv ? 'yes' : 'no'})`, async () => {
    const sup = new Supervisor({ modules: [seven] });
    const routes: { route: string; syncWakeup: boolean; killableWait: boolean }[] = [];
    sup.on('route', (r: { route: string; syncWakeup: boolean; killableWait: boolean }) => routes.push(r));
    const child = sup.spawn(fixture('stubcall'), ['181'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    expect((await child.closed).exitCode).toBe(0);
    await sup.close();
    expect(out).toBe('181 = 7\n');
    expect(routes).toEqual([expect.objectContaining({ route: probe.userNotif ? 'notif' : 'ptrace', syncWakeup: probe.syncWakeUp, killableWait: probe.killableRecv })]);
  });

  it('FD_SYNC_WAKE_UP and WAIT_KILLABLE_RECV are only ever seen with user notification', () => {
    expect(probe.userNotif || !probe.syncWakeUp).toBe(true);
    expect(probe.userNotif || !probe.killableRecv).toBe(true);
  });
});
