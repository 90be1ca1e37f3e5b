#include "spawn.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn_child.h"

namespace sysstub {

const long kPtraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE |
                            PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
                            PTRACE_O_EXITKILL;

// Everything the child reads between clone and execve, in one allocation that
// outlives the request (the caller's returns before the child's exec): the
// request's bytes, and the plan of raw pointers into them that the child runs.
struct ChildImage {
  explicit ChildImage(SpawnRequest&& r) : req(std::move(r)) {}
  SpawnRequest req;
  std::vector<std::string> candidates;
  std::vector<const char*> candidate_ptrs;
  std::vector<char*> argv, sh_argv, envp;
  std::vector<ChildFd> fds;
  std::vector<int> lifted;
  ChildPlan plan{};
  static constexpr size_t kStackSize = 256 * 1024;
  std::unique_ptr<char[]> stack{new char[kStackSize]};
};

void ChildImageDeleter::operator()(ChildImage* im) const noexcept { delete im; }
int ChildError(const ChildImage& im) noexcept { return __atomic_load_n(&im.plan.error, __ATOMIC_ACQUIRE); }

namespace {

// What execvp would try, prepared before clone: the file itself when it has a
// '/', else each PATH entry of the program's environment (glibc's default
// when PATH is unset). Relative candidates are relative to the new cwd.
std::vector<std::string> Candidates(const SpawnRequest& req) {
  // A relative cwd is relative to ours: made absolute, so that the paths mean
  // the same here (stat) and in the child after its chdir (execve).
  std::string cwd = req.cwd;
  if (!cwd.empty() && cwd[0] != '/') {
    char here[PATH_MAX];
    if (getcwd(here, sizeof here)) cwd = std::string(here) + "/" + cwd;
  }
  auto in_cwd = [&](std::string p) { return cwd.empty() || p[0] == '/' ? p : cwd + "/" + p; };
  if (req.file.find('/') != std::string::npos) return {in_cwd(req.file)};
  std::string path = "/bin:/usr/bin";
  for (const auto& kv : req.envp) {
    if (kv.compare(0, 5, "PATH=") == 0) path = kv.substr(5);
  }
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    out.push_back(in_cwd((dir.empty() ? std::string(".") : dir) + "/" + req.file));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// The candidates worth an execve: the executable regular files, else (so that
// the child reports EACCES, as execvp would) the ones that exist at all. A
// failed execve per PATH entry would also show in a trace, where strace, which
// searches before it forks too, shows one.
std::vector<std::string> Existing(const std::vector<std::string>& candidates) {
  std::vector<std::string> runnable, existing;
  struct stat st;
  for (const auto& c : candidates) {
    if (stat(c.c_str(), &st) != 0) continue;
    existing.push_back(c);
    if (S_ISREG(st.st_mode) && faccessat(AT_FDCWD, c.c_str(), X_OK, AT_EACCESS) == 0) runnable.push_back(c);
  }
  return runnable.empty() ? existing : runnable;
}

sock_fprog Program(const std::vector<sock_filter>& insns) {
  return {static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
}

// Signals 1-64 of a sigset_t as the kernel's 8-byte set: bit n-1 of its first word.
uint64_t FirstWord(const sigset_t& set) {
  uint64_t word;
  memcpy(&word, &set, sizeof word);
  return word;
}

}  // namespace

SpawnResult SpawnTracee(SpawnRequest&& request) {
  SpawnResult res;
  ChildImagePtr im(new ChildImage(std::move(request)));
  const SpawnRequest& req = im->req;
  im->candidates = Existing(Candidates(req));
  // Like libuv: a program that is nowhere is ENOENT, without a child.
  if (im->candidates.empty()) return {-1, ENOENT, "spawn", nullptr};
  for (auto& s : req.argv) im->argv.push_back(const_cast<char*>(s.c_str()));
  im->argv.push_back(nullptr);
  im->sh_argv.push_back(const_cast<char*>("/bin/sh"));
  im->sh_argv.push_back(nullptr);  // the script, set in the child
  for (size_t i = 1; i < req.argv.size(); i++) im->sh_argv.push_back(const_cast<char*>(req.argv[i].c_str()));
  im->sh_argv.push_back(nullptr);
  for (auto& s : req.envp) im->envp.push_back(const_cast<char*>(s.c_str()));
  im->envp.push_back(nullptr);
  for (auto [target, source] : req.fds) im->fds.push_back({target, source});
  im->lifted.resize(req.fds.size() + 1);
  for (auto& c : im->candidates) im->candidate_ptrs.push_back(c.c_str());

  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0) return {-1, errno, "pipe2", nullptr};
  ChildPlan& plan = im->plan;
  plan.candidates = im->candidate_ptrs.data();
  plan.n_candidates = im->candidate_ptrs.size();
  plan.argv = im->argv.data();
  plan.sh_argv = im->sh_argv.data();
  plan.envp = im->envp.data();
  plan.fds = im->fds.data();
  plan.n_fds = im->fds.size();
  plan.lifted = im->lifted.data();
  plan.cwd = req.cwd.empty() ? nullptr : req.cwd.c_str();
  plan.go_fd = go[0];
  plan.go_write_fd = go[1];
  plan.notif_sock = req.notif_sock;
  plan.notif_unavailable = req.notif_unavailable;
  plan.filter = Program(req.filter);
  plan.notif_filter = Program(req.notif_filter);
  plan.sealed_filter = Program(req.sealed_filter);
  plan.ignored = FirstWord(req.ignored);
  plan.mask = FirstWord(req.mask);
  // No CLONE_VFORK: this thread must seize the child while it waits. The
  // kernel gives a CLONE_VM child no robust-futex list and no rseq area of
  // ours (copy_process: futex_init_task, rseq_fork), so its exit touches
  // nothing of this process.
  // The child starts with every signal blocked, the Waker's too: until
  // the child sets up the program's signals it has our handlers, and one of them run there
  // would write this process's memory and the tracer thread's errno. A Wake()
  // meanwhile stays pending here and leaves the flag set (wake.h).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(SysstubChildMain, im->stack.get() + ChildImage::kStackSize, CLONE_VM | SIGCHLD, &plan);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    int e = clone_errno;
    close(go[0]);
    close(go[1]);
    return {-1, e, "clone", nullptr};
  }
  close(go[0]);
  if (ptrace(PTRACE_SEIZE, pid, 0, kPtraceOptions) != 0) {
    int e = errno;
    close(go[1]);  // the child sees EOF and exits 127 untraced, before any filter
    int status;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {}
    // A child that failed early (chdir, fds) and exited before the seize
    // makes it fail with ESRCH/EPERM: its own errno is the real story.
    int child_err = ChildError(*im);
    if (child_err > 0) return {-1, child_err, "spawn", nullptr};
    return {-1, e, "ptrace", nullptr};
  }
  char go_byte = 1;
  ssize_t w;
  while ((w = write(go[1], &go_byte, 1)) < 0 && errno == EINTR) {}
  close(go[1]);
  res.pid = pid;
  res.image = std::move(im);
  return res;
}

}  // namespace sysstub
