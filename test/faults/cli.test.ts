// The CLI's fault-injection flags: -e inject= / -e fault= / --inject / --fault.
import { describe, expect, it } from 'vitest';
import { faults, parseFaultExpr } from '../../lib/index.js';
import { runCli } from '../helpers.js';

const env = { ...process.env, LC_ALL: 'C' };

describe('sysstub run -e inject= / -e fault=', () => {
  it('--inject and --fault are the long forms; several rules apply together', async () => {
    const r = await runCli(['run', '--inject', 'openat:error=EACCES:path=/etc/passwd', '--fault', 'openat:error=ENOENT:path=/etc/hostname', '--', 'cat', '/etc/passwd', '/etc/hostname'], { env });
    expect(r.stderr).toBe('cat: /etc/passwd: Permission denied\ncat: /etc/hostname: No such file or directory\n');
    expect(r.exitCode).toBe(1);
  });

  it('bad expressions exit 2 with a message pointing at the bad part', async () => {
    const r = await runCli(['run', '-e', 'inject=openat:error=ENOENT:whne=2', '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('sysstub: bad inject expression: unknown key "whne" (valid: error, retval, signal, delay_enter, delay_exit, when, path, fd, nth, argN=V, argN&MASK, set_argN=V)\n  openat:error=ENOENT:whne=2\n                      ^\n');
    const t = await runCli(['run', '-e', 'trace=opnat', '--', 'true']);
    expect(t.exitCode).toBe(2);
    expect(t.stderr).toMatch(/^sysstub: bad trace set: unknown syscall "opnat" \(did you mean "openat"\?\)/);
    const a = await runCli(['run', '-e', 'abbrev=all', '--', 'true']);
    expect(a.exitCode).toBe(2);
    expect(a.stderr).toMatch(/-e abbrev=: not supported by sysstub yet/);
    const q = await runCli(['run', '-e', 'bogus', '--', 'true']);
    expect(q.exitCode).toBe(2);
    expect(q.stderr).toMatch(/expected trace=SET, inject=SET:\.\.\. or fault=SET:\.\.\./);
  });

  it('plain and counted error= rules are constants (the filter, or C++, answers them)', () => {
    const m = faults([parseFaultExpr('uname:error=EPERM', 'inject')]);
    expect(m.syscalls['63']).toEqual({ errno: 1 });
    // Counted: still a constant, decided in C++ with per-thread counters.
    const counted = faults([parseFaultExpr('uname:error=EPERM:when=2', 'inject')]);
    expect(counted.syscalls['63']).toEqual({ errno: 1, when: { first: 2, last: 2, step: 0 } });
    // With a predicate: a JS handler.
    const pred = faults([parseFaultExpr('uname:error=EPERM:when=2:arg0=0', 'inject')]);
    expect(typeof (pred.syscalls['63'] as { handler: unknown }).handler).toBe('function');
  });
});
