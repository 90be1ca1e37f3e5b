// The STREAMS module: getpmsg/putpmsg (181/182), which the kernel reserves but
// never implemented, working for a real program. The demo (test/fixtures/
// streams_demo.c) sends prioritised messages through a pipe: natively every
// call fails with ENOSYS; under the module the receiver gets them highest
// band first.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import { streams } from 'sysstub';
import { test } from 'sysstub/vitest';

const demo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'build', 'streams_demo');

describe('the streams module', () => {
  test('natively the demo gets ENOSYS; under the module it receives by priority', async ({ run }) => {
    const native = await run([demo], { trace: 'getpmsg,putpmsg' });
    expect(native).toFailSyscallWith('getpmsg', 'ENOSYS');
    expect(native.stderr).toMatch(/^streams_demo: getpmsg\/putpmsg are not implemented here \(ENOSYS/);
    const r = await run([demo], { modules: [streams()], trace: 'getpmsg,putpmsg' });
    expect(r).toHaveExitedWith(0);
    expect(r.stdout).toMatch(/The parent receives[^\n]*\n\s*1\. high priority\s+\[ALARM\] "power lost, on battery"/);
    expect(r).not.toFailSyscallWith('getpmsg', 'ENOSYS');
    expect(r).toHaveCalledSyscall('putpmsg', { result: 0 });
  });
});
