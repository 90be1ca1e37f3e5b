// Prints the plain last line CI reads: "N passed, N failed, N skipped", after
// one line per skip reason (tests that need a machine property carry
// "[skipped: <reason>]" in their name: test/probes.ts).
import type { Reporter, TestModule } from 'vitest/node';

const REASON = /\[skipped: ([^\]]+)\]/;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = errors.length;
    let skipped = 0;
    const why = new Map<string, number>();
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else if (s === 'skipped') {
          skipped++;
          const r = REASON.exec(t.fullName)?.[1] ?? `no reason given (${m.moduleId.split('/test/').pop()}: ${t.fullName})`;
          why.set(r, (why.get(r) ?? 0) + 1);
        }
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    let out = '\n';
    for (const [r, n] of why) out += `skipped ${n}: ${r}\n`;
    process.stdout.write(`${out}${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
