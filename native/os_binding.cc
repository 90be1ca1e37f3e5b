// The JS surface's free functions: tracee memory (tracee_mem.h) and the OS
// helpers the TypeScript side needs and Node does not offer (close-on-exec
// pipes and socketpairs, the terminal's foreground group, signals held for
// the relay, dying of a signal). Named JS_*, as in binding.cc.
#include "binding.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "signal_relay.h"
#include "tracee_mem.h"
#include "wake.h"

namespace sysstub {

// readMemoryInto(tid, addr, bytes): fills bytes (a Buffer the caller allocated
// from Node's pool: cheaper than a new external buffer per read).
Napi::Value JS_readMemoryInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t tid = info[0].As<Napi::Number>().Int32Value();
  uint64_t addr = ToU64(info[1], "addr");
  if (!info[2].IsTypedArray()) throw Napi::TypeError::New(env, "read: bytes must be a Uint8Array");
  Napi::Uint8Array bytes = info[2].As<Napi::Uint8Array>();
  int rc = ReadTraceeMemory(tid, addr, bytes.Data(), bytes.ByteLength());
  if (rc < 0) throw SystemErrorFor(env, -rc, "process_vm_readv");
  return env.Undefined();
}

// writeMemory(tid, addr, bytes)
Napi::Value JS_writeMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t tid = info[0].As<Napi::Number>().Int32Value();
  uint64_t addr = ToU64(info[1], "addr");
  if (!info[2].IsTypedArray()) throw Napi::TypeError::New(env, "write: bytes must be a Uint8Array");
  Napi::Uint8Array bytes = info[2].As<Napi::Uint8Array>();
  int rc = WriteTraceeMemory(tid, addr, bytes.Data(), bytes.ByteLength());
  if (rc < 0) throw SystemErrorFor(env, -rc, "process_vm_writev");
  return env.Undefined();
}

// readCString(tid, addr, max): Buffer without the NUL
Napi::Value JS_readCString(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t tid = info[0].As<Napi::Number>().Int32Value();
  uint64_t addr = ToU64(info[1], "addr");
  int64_t max = info[2].As<Napi::Number>().Int64Value();
  if (max < 0) throw Napi::RangeError::New(env, "readCString: max must be >= 0");
  std::string s;
  int rc = ReadTraceeCString(tid, addr, static_cast<size_t>(max), &s);
  if (rc < 0) throw SystemErrorFor(env, -rc, "process_vm_readv");
  return Napi::Buffer<char>::Copy(env, s.data(), s.size());
}


// pipe(): [readFd, writeFd], both close-on-exec (for stdio: 'pipe').
Napi::Value JS_pipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw SystemErrorFor(env, errno, "pipe2");
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, fds[0]);
  a.Set(1u, fds[1]);
  return a;
}

// socketpair(): [a, b], AF_UNIX SOCK_SEQPACKET, close-on-exec (the listener fd's way home).
Napi::Value JS_socketpair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) throw SystemErrorFor(env, errno, "socketpair");
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, fds[0]);
  a.Set(1u, fds[1]);
  return a;
}

// isForegroundTty(): true when stdin is a terminal whose foreground process
// group is ours, i.e. a Ctrl-C there already reached the supervised child.
Napi::Value JS_isForegroundTty(const Napi::CallbackInfo& info) {
  pid_t fg = tcgetpgrp(0);
  return Napi::Boolean::New(info.Env(), fg >= 0 && fg == getpgrp());
}

// holdSignals(mask: bigint): take these signals from Node now (SIGUSR1's
// inspector among them) and keep them for the relay a Tracer adopts later.
Napi::Value JS_holdSignals(const Napi::CallbackInfo& info) {
  sigset_t set = ToSigset(info[0]);
  sigdelset(&set, Waker::Signal());
  return Napi::Boolean::New(info.Env(), SignalRelay::Start(set, nullptr));
}

// killSelfWith(sig): die of sig as the child did, with no core dump (the
// child already dumped one if it was going to). Returns only if the signal
// does not terminate (then the caller exits 128+sig).
Napi::Value JS_killSelfWith(const Napi::CallbackInfo& info) {
  DieOfSignal(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

}  // namespace sysstub
