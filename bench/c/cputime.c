// cputime OUT PROG ARGS...: runs PROG and writes "<wall ms> <user ms> <system ms>"
// to the file OUT once it has exited; exits with its status. wait4(2)'s
// rusage of the child covers the child and every descendant it reaped, so
// a supervisor's figure includes its tracees, as strace's does.
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double ms(struct timeval t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; }

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: cputime OUT PROG [ARGS...]\n");
    return 2;
  }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid < 0) return perror("fork"), 125;
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return perror("wait4"), 125;
  clock_gettime(CLOCK_MONOTONIC, &b);
  FILE* out = fopen(argv[1], "w");
  if (!out) return perror(argv[1]), 125;
  fprintf(out, "%.2f %.2f %.2f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6, ms(ru.ru_utime), ms(ru.ru_stime));
  fclose(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
