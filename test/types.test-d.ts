// The public types say what the run-time checks say, at compile time: a
// misspelt handler name, errno name, fault key or option, and contradictory
// fields, are compile errors (checked by vitest's typecheck mode, npm test).
import { describe, expectTypeOf, it } from 'vitest';
import {
  defineModule, faults, run, snapshot, Supervisor, SyscallError,
  type ErrnoName, type Outcome, type RunResult, type StubReport, type StubReportRow, type SyscallName, type SyscallRecord,
} from '../lib/index.js';

describe('defineModule', () => {
  it('handler keys are syscall names or numbers', () => {
    defineModule({ name: 'ok', syscalls: { getpmsg: () => 0, 400: () => 1n, openat: (c) => c.next() } });
    // @ts-expect-error a misspelt syscall name
    defineModule({ name: 'typo', syscalls: { getpmgs: () => 0 } });
  });

  it('constants: errno or value, not both; errno names are checked', () => {
    defineModule({ name: 'c', syscalls: { getpmsg: { errno: 'EPERM' }, putpmsg: { value: 3, when: '2+' } } });
    // @ts-expect-error errno and value together
    defineModule({ name: 'both', syscalls: { getpmsg: { errno: 'EPERM', value: 1 } } });
    // @ts-expect-error not an errno name
    defineModule({ name: 'bad', syscalls: { getpmsg: { errno: 'EPREM' } } });
  });

  it('handlers return a number, a bigint, a SyscallError or an Outcome', () => {
    defineModule({ name: 'r', syscalls: { getpmsg: async () => new SyscallError('EAGAIN') } });
    // @ts-expect-error a string is not an answer
    defineModule({ name: 'str', syscalls: { getpmsg: () => 'yes' } });
    expectTypeOf<Outcome>().toMatchTypeOf<{ type: 'return' | 'error' | 'kernel' }>();
  });
});

describe('SyscallError and errno names', () => {
  it('takes an errno name or a number', () => {
    new SyscallError('ENOENT');
    new SyscallError(2);
    // @ts-expect-error not an errno name
    new SyscallError('EPREM');
    expectTypeOf<'EWOULDBLOCK'>().toMatchTypeOf<ErrnoName>();
    expectTypeOf<'getpmsg'>().toMatchTypeOf<SyscallName>();
  });
});

describe('faults()', () => {
  it('keys: names, classes, lists, regexes; rules: error or retval', () => {
    faults({ openat: { error: 'EACCES', when: '3' }, '%file': { error: 'EIO' }, 'read,write': { retval: 0 }, '/^open': {} });
    // @ts-expect-error a misspelt name
    faults({ wirte: { error: 'EIO' } });
    // @ts-expect-error error and retval together
    faults({ write: { error: 'EIO', retval: 1 } });
  });
});

describe('run()', () => {
  it('the encoding decides the output type', async () => {
    expectTypeOf(run(['true'])).resolves.toEqualTypeOf<RunResult<'utf8'>>();
    expectTypeOf<RunResult['stdout']>().toEqualTypeOf<string>();
    expectTypeOf<RunResult<'buffer'>['stdout']>().toEqualTypeOf<Buffer>();
    const r = await run(['true'], { encoding: 'buffer' });
    expectTypeOf(r.all).toEqualTypeOf<Buffer>();
    expectTypeOf(r.syscalls).toEqualTypeOf<SyscallRecord[]>();
    expectTypeOf(r.syscalls[0].errno).toEqualTypeOf<ErrnoName | null>();
    expectTypeOf(snapshot(r.syscalls)).toEqualTypeOf<string>();
    // @ts-expect-error not an encoding
    void run(['true'], { encoding: 'latin1' });
    // @ts-expect-error not an option
    void run(['true'], { colour: true });
  });

  it('the stub report is typed rows', async () => {
    const r = await run(['true'], { report: true });
    expectTypeOf(r.report).toEqualTypeOf<StubReport | undefined>();
    expectTypeOf(r.report!.rows).toEqualTypeOf<StubReportRow[]>();
    expectTypeOf<StubReportRow['answeredBy'][number]['module']>().toEqualTypeOf<string | null>();
    // @ts-expect-error report is a boolean
    void run(['true'], { report: 'yes' });
  });

  it('Supervisor is async-disposable', () => {
    expectTypeOf<Supervisor[typeof Symbol.asyncDispose]>().toEqualTypeOf<() => Promise<void>>();
  });
});
