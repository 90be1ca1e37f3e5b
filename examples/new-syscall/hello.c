/* Calls syscall 500, sysstub_hello(buf, len), once with room and once
 * without, and prints what it got. Natively: ENOSYS twice. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  char buf[64];
  long n = syscall(500, buf, sizeof buf);
  if (n < 0) printf("sysstub_hello: %s\n", strerror(errno));
  else printf("sysstub_hello = %ld: %s\n", n, buf);
  n = syscall(500, buf, 4);
  printf("with 4 bytes: %s\n", n < 0 ? strerror(errno) : "no error");
  return 0;
}
