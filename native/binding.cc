// The JS-facing surface of the native core: the Tracer class, and the one
// parser of each value JS hands over (bytes, 64-bit values, signal sets, slot
// dispositions). Every method exposed to JS is named JS_*, so the boundary
// is greppable. Errors become Node-shaped Errors (code, errno < 0, syscall).
// The tracee memory functions and OS helpers are in os_binding.cc.
#include "binding.h"
#include "notif.h"

#include <algorithm>
#include <cerrno>
#include <linux/seccomp.h>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "signal_relay.h"
#include "spawn_child.h"
#include "tracee_mem.h"
#include "tracer.h"

namespace sysstub {

Napi::Error SystemErrorFor(Napi::Env env, int err, const char* syscall) {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : "E" + std::to_string(err);
  std::string msg = std::string(syscall) + " " + code + " (" + strerror(err) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

namespace {

uint32_t SlotNumber(const Napi::Value& v) {
  if (!v.IsNumber() || v.As<Napi::Number>().Uint32Value() > kMaxNr) throw Napi::RangeError::New(v.Env(), "slot: nr must be 0..1023");
  return v.As<Napi::Number>().Uint32Value();
}

int64_t ToI64(const Napi::Value& v, const char* what) {
  if (!v.IsBigInt()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a bigint (64 bits)");
  bool lossless;
  return v.As<Napi::BigInt>().Int64Value(&lossless);
}

uint32_t U32Field(const Napi::Object& o, const char* name, const char* what = "counted rule") {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(what) + ": " + name + " must be a number");
  return v.As<Napi::Number>().Uint32Value();
}

}  // namespace

// setSlot(nr, disposition, value: bigint): the one parser of what JS says a slot does.
void SetSlotFromJS(SlotTable& table, const Napi::CallbackInfo& info) {
  uint32_t nr = SlotNumber(info[0]);
  uint32_t d = info[1].As<Napi::Number>().Uint32Value();
  if (d > static_cast<uint32_t>(SlotDisposition::kValue) || d == static_cast<uint32_t>(SlotDisposition::kCounted)) {
    throw Napi::RangeError::New(info.Env(), "setSlot: disposition must be Kernel, Errno, Handler or Value");
  }
  table.Set(nr, static_cast<SlotDisposition>(d), ToI64(info[2], "setSlot: value"));
}

// setCounted(nr, { first, last (0: open), step, isErrno, value: bigint, bottomKernel }): counted_rule.h.
void SetCountedFromJS(SlotTable& table, const Napi::CallbackInfo& info) {
  uint32_t nr = SlotNumber(info[0]);
  if (!info[1].IsObject()) throw Napi::TypeError::New(info.Env(), "setCounted(nr, rule): rule must be an object");
  Napi::Object o = info[1].As<Napi::Object>();
  CountedRule rule;
  rule.first = U32Field(o, "first");
  uint32_t last = U32Field(o, "last");
  rule.last = last == 0 ? UINT32_MAX : last;
  rule.step = U32Field(o, "step");
  rule.is_errno = o.Get("isErrno").ToBoolean();
  rule.value = ToI64(o.Get("value"), "counted rule: value");
  rule.bottom_kernel = o.Get("bottomKernel").ToBoolean();
  table.SetCounted(nr, rule);
}

uint64_t ToU64(const Napi::Value& v, const char* what) {
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  if (v.IsNumber()) return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
  throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a bigint or a number");
}

namespace {

// Bytes from JS: a Buffer/Uint8Array as it is, or a string as UTF-8. argv,
// env, paths stay bytes end to end; NUL cannot be in a C string.
std::string ToBytes(const Napi::Value& v, const char* what) {
  std::string out;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::Uint8Array a = v.As<Napi::Uint8Array>();
    out.assign(reinterpret_cast<const char*>(a.Data()), a.ByteLength());
  } else if (v.IsString()) {
    out = v.As<Napi::String>().Utf8Value();
  } else {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a string or a Uint8Array");
  }
  if (out.find('\0') != std::string::npos) throw Napi::TypeError::New(v.Env(), std::string(what) + " must not contain NUL bytes");
  return out;
}

std::vector<std::string> ToByteStrings(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(ToBytes(a.Get(i), what));
  return out;
}

}  // namespace

// A signal set from a 64-bit mask (bit n-1: signal n), as /proc/PID/status prints it.
sigset_t ToSigset(const Napi::Value& v) {
  sigset_t set;
  sigemptyset(&set);
  uint64_t bits = v.IsUndefined() ? 0 : ToU64(v, "signal set");
  for (int sig = 1; sig <= 64; sig++) {
    if (bits & (uint64_t{1} << (sig - 1))) sigaddset(&set, sig);
  }
  return set;
}

namespace {

void CheckActions(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
      v.As<Napi::TypedArray>().ElementLength() != kMaxNr + 1) {
    throw Napi::TypeError::New(env, std::string("spawn: ") + what + " must be a Uint32Array of one action per syscall number 0..1023");
  }
}

// Sealed slots (SECCOMP_RET_ERRNO) stay in the routing filter, unless one
// of them is a call the child itself makes after that filter is in
// (kChildCallsAfterFilter): then they all move to a filter of their own that
// the child installs last (spawn.h), and the routing filter lets them through.
std::vector<uint32_t> SplitSealed(const Napi::Value& v, std::vector<uint32_t>* sealed) {
  Napi::Uint32Array acts = v.As<Napi::Uint32Array>();
  std::vector<uint32_t> routing(acts.Data(), acts.Data() + acts.ElementLength());
  sealed->assign(routing.size(), SECCOMP_RET_ALLOW);
  auto is_sealed = [&](long nr) { return (routing[nr] & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO; };
  if (std::none_of(std::begin(kChildCallsAfterFilter), std::end(kChildCallsAfterFilter), is_sealed)) return routing;
  for (size_t nr = 0; nr < routing.size(); nr++) {
    if (is_sealed(static_cast<long>(nr))) {
      (*sealed)[nr] = routing[nr];
      routing[nr] = SECCOMP_RET_ALLOW;
    }
  }
  return routing;
}

}  // namespace

Napi::Object TracerWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "Tracer", {
      InstanceMethod("spawn", &TracerWrap::JS_spawn),
      InstanceMethod("attach", &TracerWrap::JS_attach),
      InstanceMethod("detach", &TracerWrap::JS_detach),
      InstanceMethod("setSlot", &TracerWrap::JS_setSlot),
      InstanceMethod("setCounted", &TracerWrap::JS_setCounted),
      InstanceMethod("setTraced", &TracerWrap::JS_setTraced),
      InstanceMethod("answer", &TracerWrap::JS_answer),
      InstanceMethod("ref", &TracerWrap::JS_ref),
      InstanceMethod("unref", &TracerWrap::JS_unref),
      InstanceMethod("close", &TracerWrap::JS_close),
      InstanceMethod("stats", &TracerWrap::JS_stats),
      InstanceMethod("relaySignals", &TracerWrap::JS_relaySignals),
      InstanceMethod("interruptNotified", &TracerWrap::JS_interruptNotified),
      InstanceMethod("watch", &TracerWrap::JS_watch),
  });
  exports.Set("Tracer", cls);
  return exports;
}

TracerWrap::TracerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TracerWrap>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "Tracer(onEvents): onEvents must be a function");
  tsfn_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "sysstub-tracer", 0, 1);
  tsfn_.Unref(env);
  tracer_ = std::make_unique<Tracer>([this] { tsfn_.NonBlockingCall(this, &TracerWrap::Deliver); });
  // Node's exit: kill the tracees and join the thread. Removed again in the
  // destructor, or a collected TracerWrap would be called at exit.
  env_ = env;
  napi_add_env_cleanup_hook(env, CleanupHook, this);
}

void TracerWrap::CleanupHook(void* self) { static_cast<TracerWrap*>(self)->Shutdown(); }

TracerWrap::~TracerWrap() {
  Shutdown();
  napi_remove_env_cleanup_hook(env_, CleanupHook, this);
}

void TracerWrap::Shutdown() {
  if (!tracer_) return;
  tracer_->SetWatchdog(nullptr);
  watchdog_.reset();  // joins its thread before the memory it watches goes
  watch_ref_.Reset();
  tracer_->Close();  // joins the thread: no more sink calls after this
  tracer_.reset();
  tsfn_.Abort();
}

// Traced calls cross as packed records, one buffer per run of them, not an
// object each (a dozen named properties, nine BigInts and a Buffer per call
// cost the main thread more than the two stops the call cost the tracer).
// Layout, read by lib/trace/records.ts (kept in step by the trace tests):
//   i32 pid, i32 tid, i32 nr, u32 flags (1: unfinished, 2: emulated),
//   u32 mem length, u32 0, u64 args[6], i64 ret, i64 entry ns, i64 exit ns,
//   then the captured memory, padded to 8 bytes. Little-endian, 96-byte head.
namespace {
constexpr size_t kSyscallRecordHead = 96;

void PackSyscall(const TracerEvent& e, std::string* out) {
  size_t at = out->size();
  size_t padded = (e.mem.size() + 7) & ~size_t{7};
  out->resize(at + kSyscallRecordHead + padded);
  char* p = out->data() + at;
  uint32_t flags = (e.unfinished ? 1u : 0u) | (e.emulated ? 2u : 0u);
  uint32_t head32[6] = {static_cast<uint32_t>(e.pid), static_cast<uint32_t>(e.tid), static_cast<uint32_t>(e.nr),
                        flags, static_cast<uint32_t>(e.mem.size()), 0};
  memcpy(p, head32, sizeof head32);
  memcpy(p + 24, e.args, sizeof e.args);
  int64_t tail[3] = {e.ret, e.entry_ns, e.exit_ns};
  memcpy(p + 72, tail, sizeof tail);
  memcpy(p + kSyscallRecordHead, e.mem.data(), e.mem.size());
}
}  // namespace

// Runs on the main thread. Drains every event queued so far into one array.
void TracerWrap::Deliver(Napi::Env env, Napi::Function fn, TracerWrap* self) {
  if (!env || !self->tracer_) return;
  std::vector<TracerEvent> events = self->tracer_->TakeEvents();
  if (events.empty()) return;
  Napi::Array arr = Napi::Array::New(env);
  uint32_t n = 0;
  static const char* kTypes[] = {"call", "exec", "exit", "spawnError", "cancel", "signal", "newProcess", "syscalls", "exitStop", "relayed", "detached", "groupStop"};
  static_assert(sizeof kTypes / sizeof kTypes[0] == TracerEvent::kGroupStop + 1, "one name per TracerEvent::Type");
  std::string records;
  for (size_t i = 0; i < events.size(); i++) {
    const TracerEvent& e = events[i];
    if (e.type == TracerEvent::kSyscall) {
      // A run of traced calls: { type: 'syscalls', records } (order kept with the other events).
      PackSyscall(e, &records);
      if (i + 1 < events.size() && events[i + 1].type == TracerEvent::kSyscall) continue;
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", kTypes[e.type]);
      o.Set("records", Napi::Buffer<char>::Copy(env, records.data(), records.size()));
      arr.Set(n++, o);
      records.clear();
      continue;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", kTypes[e.type]);
    o.Set("pid", e.pid);
    o.Set("tid", e.tid);
    switch (e.type) {
      case TracerEvent::kCall: {
        o.Set("nr", e.nr);
        o.Set("seq", Napi::BigInt::New(env, e.seq));
        Napi::Array args = Napi::Array::New(env, 6);
        for (uint32_t k = 0; k < 6; k++) args.Set(k, Napi::BigInt::New(env, e.args[k]));
        o.Set("args", args);
        break;
      }
      case TracerEvent::kCancel:
        o.Set("seq", Napi::BigInt::New(env, e.seq));
        break;
      case TracerEvent::kExitStop:
        o.Set("seq", Napi::BigInt::New(env, e.seq));
        o.Set("ret", Napi::BigInt::New(env, e.ret));
        break;
      case TracerEvent::kExit:
        o.Set("code", e.code < 0 ? env.Null() : Napi::Number::New(env, e.code));
        o.Set("signal", e.signal);
        o.Set("core", e.core);
        break;
      case TracerEvent::kSpawnError:
        o.Set("errno", e.error);
        break;
      case TracerEvent::kSignal:
        o.Set("signal", e.signal);
        if (!e.mem.empty()) o.Set("siginfo", Napi::Buffer<char>::Copy(env, e.mem.data(), e.mem.size()));
        break;
      case TracerEvent::kNewProcess:
        o.Set("parent", e.parent);
        break;
      case TracerEvent::kDetached:
        break;
      case TracerEvent::kGroupStop:
        o.Set("signal", e.signal);
        break;
      case TracerEvent::kExec:
        o.Set("first", e.first_exec);
        break;
      case TracerEvent::kRelayed:
        o.Set("signal", e.signal);
        o.Set("delivered", e.delivered);
        o.Set("targets", e.targets);
        break;
      case TracerEvent::kSyscall:  // packed above
        break;
    }
    arr.Set(n++, o);
  }
  // The dispatcher in JS catches everything itself; a throw here would be
  // swallowed by Node with only a warning and leave tracees stopped.
  try {
    fn.Call({arr});
  } catch (const Napi::Error& err) {
    fprintf(stderr, "sysstub: internal error in event dispatch: %s\n", err.Message().c_str());
  }
}

Napi::Value TracerWrap::JS_spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!tracer_) throw Napi::Error::New(env, "spawn: supervisor is closed");
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "spawn(options): options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  SpawnRequest req;
  req.file = ToBytes(o.Get("file"), "file");
  req.argv = ToByteStrings(o.Get("argv"), "argv");
  req.envp = ToByteStrings(o.Get("envp"), "envp");
  if (!o.Get("cwd").IsUndefined()) req.cwd = ToBytes(o.Get("cwd"), "cwd");
  Napi::Value fds = o.Get("fds");
  if (!fds.IsTypedArray() || fds.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      fds.As<Napi::TypedArray>().ElementLength() % 2) {
    throw Napi::TypeError::New(env, "spawn: fds must be an Int32Array of (target, source) pairs");
  }
  Napi::Int32Array pairs = fds.As<Napi::Int32Array>();
  for (size_t i = 0; i + 1 < pairs.ElementLength(); i += 2) req.fds.emplace_back(pairs[i], pairs[i + 1]);
  req.ignored = ToSigset(o.Get("sigIgnored"));
  req.mask = ToSigset(o.Get("sigMask"));
  CheckActions(env, o.Get("actions"), "actions");
  std::vector<uint32_t> sealed;
  std::vector<uint32_t> routing = SplitSealed(o.Get("actions"), &sealed);
  auto build = [&](const std::vector<uint32_t>& acts) {
    FilterProgram prog = BuildSeccompFilter(acts.data(), acts.size());
    if (!prog.error.empty()) throw Napi::Error::New(env, "seccomp filter: " + prog.error);
    return std::move(prog.insns);
  };
  req.filter = build(routing);
  if (std::any_of(sealed.begin(), sealed.end(), [](uint32_t a) { return a != SECCOMP_RET_ALLOW; })) {
    req.sealed_filter = build(sealed);
  }
  // Optional user-notification variant of the routing filter (see spawn.h).
  Napi::Value notif = o.Get("notifActions");
  if (notif.IsTypedArray()) {
    CheckActions(env, notif, "notifActions");
    std::vector<uint32_t> unused;
    req.notif_filter = build(SplitSealed(notif, &unused));
    req.notif_sock = o.Get("notifSock").As<Napi::Number>().Int32Value();
    req.notif_unavailable = o.Get("notifUnavailable").ToBoolean();
  }
  SpawnResult res = tracer_->Spawn(std::move(req));
  if (res.pid < 0) throw SystemErrorFor(env, res.error, res.syscall);
  return Napi::Number::New(env, res.pid);
}

// attach({ pid, actions? }): actions (per slot, SECCOMP_RET_ALLOW or _TRACE
// only: nothing may answer in the filter once detached) make the filter the
// attached process gets; without them its threads stop at every call.
Napi::Value TracerWrap::JS_attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!tracer_) throw Napi::Error::New(env, "attach: tracer closed");
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "attach(options): options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  AttachRequest req;
  req.pid = static_cast<pid_t>(o.Get("pid").ToNumber().Int32Value());
  if (req.pid <= 0) throw Napi::TypeError::New(env, "attach: pid must be a positive process id");
  Napi::Value actions = o.Get("actions");
  if (actions.IsTypedArray()) {
    CheckActions(env, actions, "actions");
    Napi::Uint32Array a = actions.As<Napi::Uint32Array>();
    for (size_t i = 0; i < a.ElementLength(); i++) {
      uint32_t act = a[i] & SECCOMP_RET_ACTION_FULL;
      if (act != SECCOMP_RET_ALLOW && act != SECCOMP_RET_TRACE) {
        throw Napi::TypeError::New(env, "attach: actions may only be SECCOMP_RET_ALLOW or SECCOMP_RET_TRACE (slot " + std::to_string(i) + ")");
      }
    }
    FilterProgram prog = BuildSeccompFilter(a.Data(), a.ElementLength());
    if (!prog.error.empty()) throw Napi::Error::New(env, "seccomp filter: " + prog.error);
    req.filter = std::move(prog.insns);
  }
  AttachResult res = tracer_->Attach(std::move(req));
  if (res.error) throw SystemErrorFor(env, res.error, res.syscall);
  Napi::Object out = Napi::Object::New(env);
  out.Set("threads", res.threads);
  out.Set("filter", res.filter);
  out.Set("filterErrno", res.filter_error);
  out.Set("stopped", res.stopped);
  return out;
}

Napi::Value TracerWrap::JS_detach(const Napi::CallbackInfo& info) {
  if (tracer_) tracer_->Detach(info[0].ToNumber().Int32Value());
  return info.Env().Undefined();
}

Napi::Value TracerWrap::JS_setSlot(const Napi::CallbackInfo& info) {
  if (tracer_) SetSlotFromJS(tracer_->slots(), info);
  return info.Env().Undefined();
}

Napi::Value TracerWrap::JS_setCounted(const Napi::CallbackInfo& info) {
  if (tracer_) SetCountedFromJS(tracer_->slots(), info);
  return info.Env().Undefined();
}

// setTraced(nr, captures: NativeCapture[]): trace nr, copying each capture
// { arg, atExit, kind, lenKind, lenValue, max, scale } (trace_capture.h).
Napi::Value TracerWrap::JS_setTraced(const Napi::CallbackInfo& info) {
  if (!tracer_) return info.Env().Undefined();
  CaptureList list;
  Napi::Array a = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Object c = a.Get(i).As<Napi::Object>();
    Capture cap;
    cap.arg = static_cast<uint8_t>(U32Field(c, "arg", "capture"));
    cap.at_exit = c.Get("atExit").ToBoolean();
    uint32_t kind = U32Field(c, "kind", "capture");
    if (kind > 2) throw Napi::RangeError::New(info.Env(), "capture: kind must be a CaptureKind (0..2)");
    cap.kind = static_cast<Capture::Kind>(kind);
    cap.len_kind = static_cast<uint8_t>(U32Field(c, "lenKind", "capture"));
    cap.len_value = U32Field(c, "lenValue", "capture");
    cap.max = U32Field(c, "max", "capture");
    cap.scale = U32Field(c, "scale", "capture");
    if (cap.scale == 0) cap.scale = 1;
    list.push_back(cap);
  }
  tracer_->SetTraced(info[0].As<Napi::Number>().Uint32Value(), list);
  return info.Env().Undefined();
}

// answer(tid, seq, kind: Answer, value, args?): args[i] replaces argument i
// where it is not undefined (the kinds: seccomp_stop.cc AnswerKind).
Napi::Value TracerWrap::JS_answer(const Napi::CallbackInfo& info) {
  if (!tracer_) return info.Env().Undefined();
  int32_t tid = info[0].As<Napi::Number>().Int32Value();
  uint64_t seq = ToU64(info[1], "seq");
  int32_t raw_kind = info[2].As<Napi::Number>().Int32Value();
  Tracer::AnswerKind kind;
  if (!Tracer::ToAnswerKind(raw_kind, &kind)) {
    throw Napi::RangeError::New(info.Env(), "answer: kind " + std::to_string(raw_kind) + " is not an Answer (lib/routes/ptrace.ts)");
  }
  uint64_t value = ToU64(info[3], "value");
  uint64_t args[6] = {};
  unsigned mask = 0;
  if (info.Length() > 4 && info[4].IsArray()) {
    Napi::Array a = info[4].As<Napi::Array>();
    for (uint32_t i = 0; i < 6 && i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (v.IsUndefined()) continue;
      args[i] = ToU64(v, "args[i]");
      mask |= 1u << i;
    }
  }
  tracer_->Answer(tid, seq, kind, value, args, mask);
  return info.Env().Undefined();
}

// interruptNotified(tid, listener: NotifListener, id: bigint): the call `id`
// of tid on that listener has a signal to take (Tracer::InterruptNotified).
// false when there is nothing to interrupt with (no tracer, listener closed).
Napi::Value TracerWrap::JS_interruptNotified(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsObject() || !info[2].IsBigInt()) {
    throw Napi::TypeError::New(env, "interruptNotified(tid, listener, id: bigint)");
  }
  NotifListenerWrap* listener = Napi::ObjectWrap<NotifListenerWrap>::Unwrap(info[1].As<Napi::Object>());
  int fd = tracer_ && listener ? listener->DupListener() : -1;
  if (fd < 0) return Napi::Boolean::New(env, false);
  tracer_->InterruptNotified(info[0].As<Napi::Number>().Int32Value(), fd, ToU64(info[2], "id"));
  return Napi::Boolean::New(env, true);
}

// relaySignals(mask: bigint): bit n-1 for signal n (signal_relay.h). false if a relay runs already.
Napi::Value TracerWrap::JS_relaySignals(const Napi::CallbackInfo& info) {
  if (!tracer_) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), tracer_->RelaySignals(ToSigset(info[0])));
}

// watch(timeoutMs, shared: Int32Array(3)): start the handler watchdog (watchdog.h) on shared.
Napi::Value TracerWrap::JS_watch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!tracer_ || watchdog_) return env.Undefined();
  if (!info[0].IsNumber() || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::TypedArray>().ElementLength() < 3) {
    throw Napi::TypeError::New(env, "watch(timeoutMs, shared: Int32Array(3))");
  }
  Napi::Int32Array shared = info[1].As<Napi::Int32Array>();
  watch_ref_ = Napi::Persistent(shared);
  watchdog_ = std::make_unique<Watchdog>(info[0].As<Napi::Number>().Int64Value(), shared.Data(),
                                         []() noexcept { Tracer::KillEveryTracee(1000); });
  tracer_->SetWatchdog(watchdog_.get());
  return env.Undefined();
}

Napi::Value TracerWrap::JS_ref(const Napi::CallbackInfo& info) {
  if (tracer_) tsfn_.Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value TracerWrap::JS_unref(const Napi::CallbackInfo& info) {
  if (tracer_) tsfn_.Unref(info.Env());
  return info.Env().Undefined();
}

Napi::Value TracerWrap::JS_close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value TracerWrap::JS_stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!tracer_) return o;
  const TracerStats& s = tracer_->stats();
  o.Set("stops", static_cast<double>(s.stops.load()));
  o.Set("seccompStops", static_cast<double>(s.seccomp_stops.load()));
  o.Set("handlerCalls", static_cast<double>(s.handler_calls.load()));
  o.Set("nativeAnswers", static_cast<double>(s.native_answers.load()));
  o.Set("signalStops", static_cast<double>(s.signal_stops.load()));
  o.Set("groupStops", static_cast<double>(s.group_stops.load()));
  o.Set("eventStops", static_cast<double>(s.event_stops.load()));
  o.Set("exits", static_cast<double>(s.exits.load()));
  return o;
}

}  // namespace sysstub
