// target NR ITERATIONS [wait]: calls raw syscall(NR, buf, 4096) ITERATIONS
// times and prints "<ns per call> <last result>". The loop is timed inside the
// target, so supervisor start-up is not in the figure. buf is a 4 KiB buffer
// (for the memory row's handler to read). With "wait" it first reads a byte
// from stdin (the attach row: a supervisor attaches meanwhile).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char buf[4096];

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: target NR ITERATIONS\n");
    return 2;
  }
  long nr = atol(argv[1]), n = atol(argv[2]);
  long r = 0;
  if (argc > 3) {
    char go;
    if (read(0, &go, 1) != 1) return 3;
  }
  for (int i = 0; i < 1000 && i < n; i++) r = syscall(nr, buf, sizeof buf, 0, 0, 0);  // warm-up
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) r = syscall(nr, buf, sizeof buf, 0, 0, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
  printf("%.1f %ld\n", ns / (double)n, r);
  return 0;
}
