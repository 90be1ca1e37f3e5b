# exec from a thread that is not the leader: the kernel gives the new
# program the leader's pid; the other thread vanishes.
import os
import threading

pid = os.getpid()
print("leader:", threading.get_native_id() == pid, flush=True)


def run():
    print("exec thread is the leader:", threading.get_native_id() == pid, flush=True)
    os.execv("/bin/sh", ["sh", "-c", f'echo "after exec: same pid: $([ $$ = {pid} ] && echo yes || echo no)"; exit 4'])


blocker = threading.Event()
threading.Thread(target=blocker.wait, daemon=True).start()
t = threading.Thread(target=run)
t.start()
t.join()
print("not reached")
