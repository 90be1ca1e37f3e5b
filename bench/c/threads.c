// threads N: creates N short threads one after another (each created and
// joined before the next), the thread-heavy row's workload.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void* nothing(void* arg) { return arg; }

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  for (long i = 0; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0) return perror("pthread_create"), 1;
    pthread_join(t, NULL);
  }
  return 0;
}
