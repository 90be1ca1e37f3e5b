// The stub table: which slots are wired, what an empty slot answers, and what
// claiming an unwired slot does.
import { describe, expect, it } from 'vitest';
import { defineModule, KERNEL_STUBS, Supervisor, StubTable, allSyscalls } from '../lib/index.js';
import { fixture, runNative, runSupervised } from './helpers.js';
import { needs, onlyIf, probe } from './probes.js';

const stubcall = fixture('stubcall');

describe('stub table', () => {
  it('wires every kernel stub by default, and an empty slot answers ENOSYS like the kernel', async () => {
    expect(new StubTable().wiredNumbers()).toEqual([...KERNEL_STUBS].sort((a, b) => a - b));
    for (const nr of KERNEL_STUBS) {
      const native = await runNative(stubcall, [String(nr)]);
      const traced = await runSupervised(stubcall, [String(nr)]);
      expect(native.stdout).toBe(`${nr} = -1 ENOSYS\n`);
      expect(traced).toEqual(native);
    }
  });

  it('an empty stub slot is answered natively, without a handler call, on both routes', async () => {
    const sup = new Supervisor();
    await sup.spawn(fixture('loop'), ['10', '100'], { stdio: 'ignore' }).exited;
    // 'auto' is the ptrace route on a kernel without user notification.
    expect(sup.stats()).toMatchObject(
      probe.userNotif
        ? { seccompStops: 0, notifCalls: 100, notifNativeAnswers: 100, handlerCalls: 0 }
        : { seccompStops: 100, nativeAnswers: 100, handlerCalls: 0, notifCalls: 0 },
    );
    await sup.close();
    const ptrace = new Supervisor({ route: 'ptrace' });
    await ptrace.spawn(fixture('loop'), ['10', '100'], { stdio: 'ignore' }).exited;
    expect(ptrace.stats()).toMatchObject({ seccompStops: 100, nativeAnswers: 100, handlerCalls: 0, notifCalls: 0 });
    await ptrace.close();
  });

  it('constant answers ({ errno } / { value }) never enter JS; sealConstants compiles an errno into the filter', async () => {
    const consts = defineModule({ name: 'consts', syscalls: { getpmsg: { errno: 'EPERM' }, putpmsg: { value: 5 } } });
    for (const route of ['auto', 'ptrace'] as const) {
      const sup = new Supervisor({ route, modules: [consts] });
      let out = '';
      for (const nr of ['181', '182']) {
        const c = sup.spawn(stubcall, [nr], { stdio: ['ignore', 'pipe', 'ignore'] });
        c.stdout!.on('data', (d: Buffer) => (out += d));
        await c.closed;
      }
      expect(out).toBe('181 = -1 EPERM\n182 = 5\n');
      const s = sup.stats();
      expect(s.nativeAnswers + s.notifNativeAnswers).toBe(2);
      await sup.close();
    }
    const sealed = new Supervisor({ modules: [consts], sealConstants: true });
    const c = sealed.spawn(fixture('loop'), ['10', '50'], { stdio: 'ignore' });
    await c.exited;
    expect(sealed.slotRoute(181)).toBe('filter');
    expect(sealed.stats()).toMatchObject({ seccompStops: 0, notifCalls: 0 });
    expect(() => sealed.load(defineModule({ name: 'late', syscalls: { getpmsg: () => 1 } }))).toThrow(/answers itself .* sealed at spawn/);
    await sealed.close();
  });

  it('a module adds a brand-new call at an unassigned number', async () => {
    const mod = defineModule({ name: 'new-call', syscalls: { 400: (c) => c.args[0] * 2n } });
    expect((await runNative(stubcall, ['400', '21'])).stdout).toBe('400 = -1 ENOSYS\n');
    expect((await runSupervised(stubcall, ['400', '21'], { modules: [mod] })).stdout).toBe('400 = 42\n');
    // The same number wired without a module is an empty stub: ENOSYS.
    expect((await runSupervised(stubcall, ['400', '21'], { stubs: [400] })).stdout).toBe('400 = -1 ENOSYS\n');
  });

  it('a wired real call with no module goes to the kernel (the bottom of the chain)', async () => {
    const r = await runSupervised(stubcall, ['39'], { stubs: ['getpid'] });
    expect(r.stdout).toMatch(/^39 = \d+\n$/);
  });

  it('refuses to claim a slot that was not wired at spawn', async () => {
    const sup = new Supervisor();
    const child = sup.spawn(stubcall, ['181'], { stdio: 'ignore' });
    await child.exited;
    expect(() => sup.load(defineModule({ name: 'late', syscalls: { 400: () => 0 } }))).toThrow(
      /handles syscall_400 \(400\), which was not wired at spawn/,
    );
    // Filling a wired slot later is fine.
    sup.load(defineModule({ name: 'ok', syscalls: { getpmsg: () => 0 } }));
    await sup.close();
  });

  it('rejects unknown names with a suggestion, bad numbers with the range', () => {
    expect(() => new StubTable({ stubs: ['getpmgs'] })).toThrow('unknown syscall "getpmgs" (did you mean "getpmsg"?)');
    expect(() => new StubTable({ stubs: [5000] })).toThrow(/out of range 0\.\.1023/);
    expect(() => new StubTable({ stubs: [335] })).toThrow(/cannot be wired/);
    const t = new StubTable();
    // @ts-expect-error a misspelt name does not compile (test/types.test-d.ts); from JavaScript it is refused at load
    expect(() => t.load(defineModule({ name: 'bad', syscalls: { opnat: () => 0 } }))).toThrow(/module "bad": unknown syscall "opnat" \(did you mean "openat"\?\)/);
    t.load(defineModule({ name: 'dup', syscalls: { getpmsg: () => 0 } }));
    expect(() => t.load(defineModule({ name: 'dup', syscalls: { putpmsg: () => 0 } }))).toThrow(/already loaded/);
  });

  it('lists rows with native status, wiring and owning modules (top first)', () => {
    const t = new StubTable({ stubs: ['openat', 400] });
    t.load(defineModule({ name: 'a', syscalls: { getpmsg: () => 0 } }));
    t.load(defineModule({ name: 'b', syscalls: { getpmsg: () => 0 } }));
    const rows = t.rows(allSyscalls());
    expect(rows.find((r) => r.nr === 181)).toEqual({ nr: 181, name: 'getpmsg', native: 'stub', wired: true, modules: ['b', 'a'] });
    expect(rows.find((r) => r.nr === 257)).toMatchObject({ name: 'openat', native: 'implemented', wired: true, modules: [] });
    expect(rows.find((r) => r.nr === 400)).toMatchObject({ name: 'syscall_400', native: 'unassigned', wired: true });
    expect(rows.find((r) => r.nr === 0)).toMatchObject({ name: 'read', wired: false });
  });

  const answer = defineModule({ name: 'answer', syscalls: { getpmsg: () => 7 } });

  it('x32 calls are never routed to x86-64 handlers', async () => {
    // x32 calls to a wired slot get ENOSYS from the filter even when a module
    // handles the x86-64 number.
    const native = await runNative(fixture('abi'), ['x32', 'x86-64']);
    const traced = await runSupervised(fixture('abi'), ['x32', 'x86-64'], { modules: [answer] });
    expect(native).toMatchObject({ stdout: 'x32 getpmsg=-38\nx32 getppid=-38\nx86-64 getpmsg=-38\n', exitCode: 0 });
    expect(traced).toEqual({ ...native, stdout: native.stdout.replace('x86-64 getpmsg=-38', 'x86-64 getpmsg=7') });
  });

  needs('ia32').it('i386 calls are never routed to x86-64 handlers', async () => {
    // int 0x80 runs the kernel's i386 table untouched (getpid works, i386
    // getpmsg 188 is the kernel's ENOSYS).
    const native = await runNative(fixture('abi'), ['i386']);
    const traced = await runSupervised(fixture('abi'), ['i386'], { modules: [answer] });
    expect(native).toMatchObject({ stdout: 'i386 getpid same=yes\ni386 getpmsg=-38\n', exitCode: 0 });
    expect(traced).toEqual(native);
  });

  onlyIf(!probe.ia32, 'int 0x80 works here: the i386 test runs instead').it('without IA32 emulation int 0x80 faults supervised as natively (SIGSEGV)', async () => {
    const native = await runNative(fixture('abi'), ['i386']);
    const traced = await runSupervised(fixture('abi'), ['i386'], { modules: [answer] });
    expect(native).toMatchObject({ stdout: '', signal: 'SIGSEGV' });
    expect(traced).toEqual(native);
  });
});
