// Conformance under load: stress-ng's process and signal stressors for 3 s
// each (2 workers), natively and under `sysstub run` in each mode. stress-ng
// makes its own verdict (it checks what its workers saw), so only the exit
// status is compared: 0 expected. The seven stressors of one mode run at
// once (each run is 3 s of wall time whatever the load).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyIf } from '../probes.js';
import { MODES, runCase, SLOW, tempDir, which, type Case, type Result } from './harness.js';

const have = which('stress-ng') !== null;
const stress = onlyIf(have, 'stress-ng is not installed (Debian package stress-ng)');
const isRoot = process.getuid?.() === 0;
const STRESSORS = ['fork', 'clone', 'vfork', 'pthread', 'signal', 'sigsegv', 'exec'] as const;

let t: { dir: string; remove: () => void } | null = null;
beforeAll(() => {
  t = tempDir('stress');
  fs.chmodSync(t.dir, 0o777); // the exec stressor runs as nobody and writes here
});
afterAll(() => t?.remove());

function stressCase(name: (typeof STRESSORS)[number]): Case {
  // stress-ng refuses to run its exec stressor as root: the program drops to
  // nobody itself (sysstub stays root, so it needs no access to this checkout).
  const drop = name === 'exec' && isRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  return {
    argv: [...drop, 'stress-ng', `--${name}`, '2', '-t', '3', '--metrics-brief', '--temp-path', t!.dir],
    cwd: t!.dir,
    killMs: 90_000,
    check: (n) => expect({ code: n.code, signal: n.signal, hung: n.hung }, n.stderr + n.stdout).toEqual({ code: 0, signal: null, hung: false }),
  };
}

const status = (r: Result) => ({ code: r.code, signal: r.signal, hung: r.hung });

const native = new Map<string, Result>();
describe('stress-ng natively (what the comparisons expect)', () => {
  stress.it('all seven stressors, at once, exit 0', async () => {
    const rs = await Promise.all(STRESSORS.map((s) => runCase(stressCase(s), null)));
    STRESSORS.forEach((s, i) => {
      native.set(s, rs[i]);
      stressCase(s).check(rs[i]);
    });
  }, SLOW);
});

describe.each(MODES)('stress-ng 3 s: native vs sysstub run $name', (mode) => {
  describe.concurrent('seven stressors at once', () => {
    for (const s of STRESSORS) {
      stress.it(`stress-ng --${s} 2 -t 3: exit status 0, as natively`, async () => {
        expect(native.get(s), 'the native run (previous test) did not pass').toBeDefined();
        const r = await runCase(stressCase(s), mode);
        expect(status(r), r.stderr + r.stdout).toEqual(status(native.get(s)!));
      }, SLOW);
    }
  });
});
