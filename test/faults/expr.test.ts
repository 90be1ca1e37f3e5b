// The strace expression grammar: every SET form, every key and when= form,
// and errors that point at the bad part.
import { describe, expect, it } from 'vitest';
import { ExprError, parseFaultExpr, parseSyscallSet, whenMatches, syscallByName, syscallByNr } from '../../lib/index.js';

const nr = (n: string) => syscallByName(n)!.nr;

describe('syscall sets', () => {
  it('names, numbers, regexes, classes, all, none, negation, ?optional', () => {
    expect(parseSyscallSet('openat,read')).toEqual([nr('read'), nr('openat')].sort((a, b) => a - b));
    expect(parseSyscallSet('257')).toEqual([257]);
    expect(parseSyscallSet('/^getp')).toEqual(expect.arrayContaining([nr('getpid'), nr('getppid'), nr('getpmsg'), nr('getpgid')]));
    expect(parseSyscallSet('%file')).toEqual(expect.arrayContaining([nr('openat'), nr('execve'), nr('unlink')]));
    expect(parseSyscallSet('%file')).not.toContain(nr('read'));
    expect(parseSyscallSet('%net')).toEqual(parseSyscallSet('%network'));
    for (const c of ['%process', '%signal', '%ipc', '%desc', '%memory', '%creds', '%stat', '%lstat', '%fstat', '%statfs', '%clock', '%pure']) {
      expect(parseSyscallSet(c).length).toBeGreaterThan(0);
    }
    expect(parseSyscallSet('none')).toEqual([]);
    const all = parseSyscallSet('all');
    expect(all.length).toBeGreaterThan(350);
    expect(all).not.toContain(335); // uretprobe is never trappable
    const notRead = parseSyscallSet('!read,write');
    expect(notRead).not.toContain(nr('read'));
    expect(notRead).not.toContain(nr('write'));
    expect(notRead.length).toBe(all.length - 2);
    expect(parseSyscallSet('?nosuchcall,read')).toEqual([nr('read')]);
  });

  it("strace's %%stat and %%statfs: every stat-like and statfs-like call", () => {
    const names = (set: string) => parseSyscallSet(set).map((n) => syscallByNr(n)!.name);
    expect(names('%%stat')).toEqual(['stat', 'fstat', 'lstat', 'newfstatat', 'statx']);
    expect(names('%%statfs')).toEqual(['ustat', 'statfs', 'fstatfs']);
    expect(names('%stat')).toEqual(['stat']);
    expect(names('%fstat')).toEqual(['fstat', 'newfstatat', 'statx']);
    expect(names('%statfs')).toEqual(['statfs']);
    expect(() => parseSyscallSet('%%sttat')).toThrow(/unknown syscall class "%%sttat" \(valid: .*%%stat .*%%statfs/);
  });

  it('rejects unknown names (with a suggestion), bad classes, bad regexes, empty items', () => {
    expect(() => parseSyscallSet('opnat')).toThrow(/unknown syscall "opnat" \(did you mean "openat"\?\)/);
    expect(() => parseSyscallSet('%fiel')).toThrow(/unknown syscall class "%fiel"/);
    expect(() => parseSyscallSet('/(')).toThrow(/bad regular expression/);
    expect(() => parseSyscallSet('read,,write')).toThrow(/empty syscall name/);
    expect(() => parseSyscallSet('5000')).toThrow(/out of range/);
  });
});

describe('when=', () => {
  const fires = (w: string, upTo = 12) => {
    const rule = parseFaultExpr(`read:error=EIO:when=${w}`, 'inject');
    return Array.from({ length: upTo }, (_, i) => i + 1).filter((n) => whenMatches(rule.when!, n));
  };
  it('N, N+, N+S, N..M, N..M+S as strace defines them', () => {
    expect(fires('3')).toEqual([3]);
    expect(fires('3+')).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(fires('2+3')).toEqual([2, 5, 8, 11]);
    expect(fires('2..4')).toEqual([2, 3, 4]);
    expect(fires('1..9+4')).toEqual([1, 5, 9]);
  });
  it('rejects out-of-range and malformed forms, pointing at them', () => {
    for (const [w, msg] of [['0', /first invocation must be 1\.\.65535/], ['65536', /first invocation/], ['5..2', /last invocation is before the first/], ['1+0', /step must be/], ['x', /bad when=/], ['1..', /bad when=/]] as const) {
      const expr = `read:error=EIO:when=${w}`;
      try {
        parseFaultExpr(expr, 'inject');
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ExprError);
        expect((err as Error).message).toMatch(msg);
        expect((err as ExprError).column).toBe(expr.indexOf('when=') + 5);
      }
    }
  });
});

describe('keys', () => {
  it('parses every key', () => {
    const r = parseFaultExpr('openat:error=EACCES:signal=SIGUSR1:delay_enter=10ms:delay_exit=2s:when=2+:path=/etc/*:fd=3:arg2&0x40:arg3=0:nth=1,3:set_arg1=5', 'inject');
    expect(r).toMatchObject({
      error: 13, signal: 10, delayEnterUs: 10_000, delayExitUs: 2_000_000, when: { first: 2, last: Infinity, step: 1 },
      path: '/etc/*', fd: 3, args: [{ arg: 2, mask: 0x40n }, { arg: 3, equals: 0n }], nth: [1, 3], setArgs: [{ arg: 1, value: 5n }],
    });
    expect(parseFaultExpr('read:retval=-1', 'inject').retval).toBe(-1n);
    expect(parseFaultExpr('read:retval=0x10', 'inject').retval).toBe(16n);
    expect(parseFaultExpr('read:error=5', 'inject').error).toBe(5);
    expect(parseFaultExpr('read:delay_enter=250', 'inject').delayEnterUs).toBe(250);
    expect(parseFaultExpr('read:signal=9', 'inject').signal).toBe(9);
    expect(parseFaultExpr('read:signal=usr2', 'inject').signal).toBe(12);
  });
  it('fault= defaults to ENOSYS and takes only error/when/predicates', () => {
    expect(parseFaultExpr('openat', 'fault').error).toBe(38);
    expect(parseFaultExpr('openat:error=EPERM:when=2', 'fault')).toMatchObject({ error: 1, when: { first: 2 } });
    expect(() => parseFaultExpr('openat:retval=1', 'fault')).toThrow(/fault= takes only error= and when=/);
  });
  it('rejects bad expressions with a message that points at the bad part', () => {
    const cases: [string, RegExp, string][] = [
      ['openat:eror=ENOENT', /unknown key "eror"/, 'eror'],
      ['openat:error=ENOPE', /unknown error "ENOPE"/, 'ENOPE'],
      ['openat:error=EPERM:retval=1', /mutually exclusive/, 'retval'],
      ['openat:when=2', /needs at least one of error=/, ''],
      ['openat:signal=SIGNOPE', /unknown signal/, 'SIGNOPE'],
      ['openat:error=EPERM:delay_enter=5minutes', /bad delay/, '5minutes'],
      ['openat:error=EPERM:nth=0', /nth "0" is out of range: expected a decimal integer in 1\.\./, '0'],
      ['openat:error=EPERM:nth=1,1e3', /nth "1e3": expected a decimal integer/, '1e3'],
      ['openat:error=EPERM:fd=x', /fd "x": expected a decimal integer in -2147483648\.\.2147483647/, 'x'],
      ['openat:retval=18446744073709551616', /retval "18446744073709551616" is out of range: expected an integer \(decimal, 0x hex or 0 octal\)/, '1844'],
      ['openat:error=EPERM:set_arg0=0x1ffffffffffffffff', /set_arg0 "0x1ffffffffffffffff" is out of range/, '0x1f'],
      ['openat:error=EPERM:arg9=1', /unknown key "arg9"/, 'arg9'],
      ['openat:syscall=getpid', /syscall= is not supported/, 'syscall'],
      [':error=EPERM', /missing syscall set/, ''],
      ['openat:error', /expected key=value/, 'error'],
    ];
    for (const [expr, msg, at] of cases) {
      let err: unknown;
      try {
        parseFaultExpr(expr, 'inject');
      } catch (e) {
        err = e;
      }
      expect(err, expr).toBeInstanceOf(ExprError);
      expect((err as Error).message, expr).toMatch(msg);
      if (at) expect((err as ExprError).column, expr).toBe(expr.indexOf(at));
    }
  });
});
