// machine_facts: the costs that explain a bench table, so that tables from
// different machines can be compared (bench/run.js prints them above it).
// Prints "<getppid ns> <cross-CPU futex round trip ns> <same-CPU round trip ns>";
// a round trip is -1 when the machine has one CPU or pinning is not allowed.
//
// A round trip is what every hand-off between two threads costs: thread A
// wakes B (FUTEX_WAKE) and sleeps until B wakes it back. Across CPUs it pays
// an IPI and the other CPU's way out of idle; on one CPU two context
// switches. Both are dearer with page-table isolation.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Atomic int turn;  // 0: the main thread's turn, 1: the partner's
static long rounds;
static int partner_cpu;

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set);
}

// Wait until turn == want, then hand the turn to the other side and wake it.
static void pass(int want) {
  while (atomic_load(&turn) != want) syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, !want, NULL, NULL, 0);
  atomic_store(&turn, !want);
  syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void* partner(void* arg) {
  (void)arg;
  pin(partner_cpu);  // unpinned when not allowed: the figure is then a mix
  for (long i = 0; i < rounds; i++) pass(1);
  return NULL;
}

static double round_trip(int cpu_a, int cpu_b, long n) {
  if (pin(cpu_a) != 0) return -1;
  rounds = n;
  partner_cpu = cpu_b;
  atomic_store(&turn, 0);
  pthread_t t;
  if (pthread_create(&t, NULL, partner, NULL) != 0) return -1;
  double a = now_ns();
  for (long i = 0; i < n; i++) pass(0);
  double b = now_ns();
  pthread_join(t, NULL);
  return (b - a) / n;
}

int main(void) {
  long n = 2000000;
  for (long i = 0; i < 10000; i++) syscall(SYS_getppid);
  double a = now_ns();
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  double sys_ns = (now_ns() - a) / n;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  double cross = cpus > 1 ? round_trip(0, 1, 20000) : -1;
  double same = round_trip(0, 0, 20000);
  printf("%.0f %.0f %.0f\n", sys_ns, cross, same);
  return 0;
}
