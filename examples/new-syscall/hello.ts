// A brand-new system call at an unused number: 500, sysstub_hello(buf, len),
// fills buf with a greeting for the calling process and returns its length,
// or fails with ERANGE when len is too small. The kernel has nothing at 500
// (ENOSYS natively); under `sysstub run -m examples/new-syscall/hello.ts` the
// number works.
import { defineModule, SyscallError } from 'sysstub';

export const SYSSTUB_HELLO = 500;

export default defineModule({
  name: 'hello',
  description: 'sysstub_hello(buf, len) at 500',
  syscalls: {
    [SYSSTUB_HELLO]: (call) => {
      const text = Buffer.from(`hello, pid ${call.pid}, from sysstub`);
      const len = Number(call.args[1]);
      if (len < text.length + 1) throw new SyscallError('ERANGE');
      call.write(call.ptr(0), Buffer.concat([text, Buffer.from([0])]));
      return text.length;
    },
  },
});
