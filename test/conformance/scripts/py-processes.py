# Python: threads, multiprocessing with each start method (fork, spawn,
# forkserver: a Process and a queue each, a Pool with fork), subprocess,
# os.posix_spawn and os.posix_spawnp.
import multiprocessing as mp
import os
import subprocess
import sys
import threading


def square(x):
    return x * x


def child(q, method, parent):
    q.put(f"{method}: a child process: {os.getpid() != parent}, parent alive: {os.getppid() > 1}")


def main():
    results = []
    lock = threading.Lock()

    def work(i):
        s = sum(range(i * 20000))
        with lock:
            results.append((i, s))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("threads:", len(results), sorted(results)[-1])

    with mp.get_context("fork").Pool(2) as pool:
        print("fork pool:", pool.map(square, range(6)))
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        q = ctx.SimpleQueue()
        p = ctx.Process(target=child, args=(q, method, os.getpid()))
        p.start()
        print(q.get())
        p.join()
        print(f"{method}: exit code {p.exitcode}")

    r = subprocess.run(["sh", "-c", "echo sub out; echo sub err >&2; exit 3"], capture_output=True, text=True)
    print("subprocess:", repr(r.stdout), repr(r.stderr), r.returncode)
    pid = os.posix_spawn("/bin/sh", ["sh", "-c", "exit 5"], os.environ)
    print("posix_spawn:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    sys.stdout.flush()
    pid = os.posix_spawnp("echo", ["echo", "posix_spawnp: ran"], os.environ)
    print("posix_spawnp:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    return 4


if __name__ == "__main__":
    sys.exit(main())
