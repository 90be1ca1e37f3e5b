#include "notif.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "binding.h"
#include "listener_handover.h"
#include "notif_response.h"
#include "seccomp_compat.h"

namespace sysstub {

// lib/routes/notif.ts NotifAnswer is its TS twin.
enum class NotifListenerWrap::AnswerKind : int32_t {
  kReturn = 0,    // value (an errno if -4095..-1)
  kContinue = 1,  // SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel runs the call
};

namespace {

void ClosePoll(uv_poll_t*& p) {
  if (!p) return;
  uv_poll_stop(p);
  uv_close(reinterpret_cast<uv_handle_t*>(p), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  p = nullptr;
}

}  // namespace

Napi::Object NotifListenerWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "NotifListener", {
      InstanceMethod("respond", &NotifListenerWrap::JS_respond),
      InstanceMethod("respondCurrent", &NotifListenerWrap::JS_respondCurrent),
      InstanceMethod("isValid", &NotifListenerWrap::JS_isValid),
      InstanceMethod("setSlot", &NotifListenerWrap::JS_setSlot),
      InstanceMethod("setCounted", &NotifListenerWrap::JS_setCounted),
      InstanceMethod("close", &NotifListenerWrap::JS_close),
      InstanceMethod("stats", &NotifListenerWrap::JS_stats),
      InstanceMethod("ref", &NotifListenerWrap::JS_ref),
  });
  exports.Set("NotifListener", cls);
  return exports;
}

NotifListenerWrap::NotifListenerWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NotifListenerWrap>(info), env_(info.Env()) {
  if (!info[0].IsNumber() || !info[1].IsFunction() || !info[2].IsFunction() || !info[3].IsTypedArray() ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array ||
      info[3].As<Napi::TypedArray>().ElementLength() < 7) {
    throw Napi::TypeError::New(env_, "NotifListener(sockFd, onReady, onCall, view: BigUint64Array(7))");
  }
  view_ref_ = Napi::Persistent(info[3].As<Napi::Object>());
  view_ = static_cast<uint64_t*>(info[3].As<Napi::TypedArray>().ArrayBuffer().Data()) +
          info[3].As<Napi::TypedArray>().ByteOffset() / sizeof(uint64_t);
  sock_ = info[0].As<Napi::Number>().Int32Value();
  on_ready_ = Napi::Persistent(info[1].As<Napi::Function>());
  on_call_ = Napi::Persistent(info[2].As<Napi::Function>());
  async_ = std::make_unique<Napi::AsyncContext>(env_, "sysstub:notif");
  sock_poll_ = StartPoll(sock_, OnSocket);
}

// A uv_poll on fd in Node's loop, ref'd or not as JS last asked.
uv_poll_t* NotifListenerWrap::StartPoll(int fd, uv_poll_cb cb) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env_, &loop);
  auto* p = new uv_poll_t;
  uv_poll_init(loop, p, fd);
  p->data = this;
  uv_poll_start(p, UV_READABLE | UV_DISCONNECT, cb);
  if (!ref_) uv_unref(reinterpret_cast<uv_handle_t*>(p));
  return p;
}

NotifListenerWrap::~NotifListenerWrap() { Stop(); }

void NotifListenerWrap::Stop() {
  ClosePoll(sock_poll_);
  ClosePoll(listener_poll_);
  if (sock_ >= 0) close(sock_);
  if (listener_ >= 0) close(listener_);
  sock_ = listener_ = -1;
  // The callbacks close over the Supervisor: strong references here would
  // keep it (and this object) alive for ever once its tree is gone.
  on_ready_.Reset();
  on_call_.Reset();
  view_ref_.Reset();
  view_ = nullptr;
}

void NotifListenerWrap::OnSocket(uv_poll_t* h, int, int) {
  static_cast<NotifListenerWrap*>(h->data)->OnHandover();
}

// The child's one message (listener_handover.h): the listener fd, or the
// errno that made it fall back to the ptrace route. EOF: it died before.
void NotifListenerWrap::OnHandover() {
  int fd = -1, why = 0;
  int got = ReceiveListener(sock_, &fd, &why);
  if (got == 0) return;
  ClosePoll(sock_poll_);
  close(sock_);
  sock_ = -1;
  if (fd >= 0) {
    listener_ = fd;
    // 6.6+: the kernel wakes us on the CPU of the notifying task (a cross-CPU
    // wake-up costs tens of microseconds in a VM). EINVAL on older kernels.
    uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    sync_wakeup_ = ioctl(listener_, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) == 0;
    listener_poll_ = StartPoll(listener_, OnListener);
  }
  Napi::HandleScope scope(env_);
  try {
    on_ready_.MakeCallback(Value(), {Napi::Boolean::New(env_, fd >= 0), Napi::Boolean::New(env_, sync_wakeup_),
                                     Napi::Number::New(env_, got < 0 ? 0 : why)}, *async_);
  } catch (const Napi::Error& e) {
    fprintf(stderr, "sysstub: internal error in notif ready: %s\n", e.Message().c_str());
  }
}

void NotifListenerWrap::OnListener(uv_poll_t* h, int status, int events) {
  auto* self = static_cast<NotifListenerWrap*>(h->data);
  // POLLHUP: no task uses the filter any more (every tracee of this tree exited).
  // POLLHUP: no task uses the filter any more. libuv reports a bare POLLHUP
  // as readable too, so ask the fd itself; a level-triggered poll on a hung-up
  // listener would otherwise spin.
  if (status < 0 || ((events & UV_DISCONNECT) && self->HungUp())) {
    self->Stop();
    return;
  }
  self->Drain();
}

bool NotifListenerWrap::HungUp() const {
  if (listener_ < 0) return true;
  pollfd p{listener_, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN);
}

int NotifListenerWrap::Send(uint64_t id, int64_t val, int32_t error, uint32_t flags) {
  return SendNotifResponse(listener_, id, val, error, flags);
}

int NotifListenerWrap::DupListener() const {
  return listener_ < 0 ? -1 : fcntl(listener_, F_DUPFD_CLOEXEC, 0);
}

// Receive every pending notification. RECV blocks when none is pending, so
// readiness is checked with a zero-timeout poll before each further one. That
// check after an answer also catches the target's next call when it comes
// back quickly, without a trip through epoll_wait (measured: ~20% less time
// per call than returning to the loop after each answer). Waiting longer here
// (ppoll with a 50 us timeout, so that SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP's
// same-CPU wake-up applies, which epoll does not pass on) measured slower on
// this 2-CPU VM, so the loop never sleeps outside libuv.
void NotifListenerWrap::Drain() {
  Napi::HandleScope scope(env_);
  for (int budget = 256; budget > 0 && listener_ >= 0; budget--) {
    // uv_poll reported the first one.
    if (budget < 256) {
      pollfd p{listener_, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return;
    }
    seccomp_notif req{};
    if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      // ENOENT: the caller died meanwhile, or the filter has no users left.
      if (HungUp()) Stop();
      return;
    }
    received_++;
    // The filter only notifies x86-64 calls to handler slots (seccomp_filter.cc).
    SlotDecision d = slots_.Decide(static_cast<uint32_t>(req.data.nr), static_cast<pid_t>(req.pid));
    if (d.kind == SlotDecision::kKernel) {
      native_answers_++;
      Send(req.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
      continue;
    }
    if (d.kind == SlotDecision::kAnswer) {
      native_answers_++;
      Answer(req.id, AnswerKind::kReturn, d.ret);
      continue;
    }
    int nr = req.data.nr;
    handler_calls_++;
    // id and the six arguments go through a BigUint64Array shared with JS:
    // a napi BigInt per value costs more than the rest of the crossing, and
    // most handlers never look at most arguments.
    view_[0] = req.id;
    for (int i = 0; i < 6; i++) view_[1 + i] = req.data.args[i];
    current_id_ = req.id;
    napi_value argv[2] = {Napi::Number::New(env_, req.pid), Napi::Number::New(env_, nr)};
    try {
      on_call_.MakeCallback(Value(), 2, argv, *async_);
    } catch (const Napi::Error& e) {
      // The JS dispatcher answers every call itself; this is a last resort.
      fprintf(stderr, "sysstub: internal error in notif dispatch: %s\n", e.Message().c_str());
      Send(req.id, 0, -EIO, 0);
    }
    current_id_ = 0;
  }
}

// respond(id, kind: NotifAnswer, value). Returns 0 or -errno (-ENOENT when the call is gone).
Napi::Value NotifListenerWrap::JS_respond(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (listener_ < 0) return Napi::Number::New(env, -EBADF);
  bool lossless;
  uint64_t id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  int64_t value = info[2].As<Napi::BigInt>().Int64Value(&lossless);
  return Napi::Number::New(env, Answer(id, KindFromJS(info[1]), value));
}

NotifListenerWrap::AnswerKind NotifListenerWrap::KindFromJS(const Napi::Value& v) {
  int32_t raw = v.As<Napi::Number>().Int32Value();
  if (raw < 0 || raw > static_cast<int32_t>(AnswerKind::kContinue)) {
    throw Napi::RangeError::New(v.Env(), "respond: kind " + std::to_string(raw) + " is not a NotifAnswer (lib/routes/notif.ts)");
  }
  return static_cast<AnswerKind>(raw);
}

int NotifListenerWrap::Answer(uint64_t id, AnswerKind kind, int64_t value) {
  if (kind == AnswerKind::kContinue) return Send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
  if (value < 0 && value >= -4095) return Send(id, 0, static_cast<int32_t>(value), 0);
  return Send(id, value, 0, 0);
}

// respondCurrent(kind, value: number): respond() for the notification being
// dispatched right now (a synchronous answer), without BigInts.
Napi::Value NotifListenerWrap::JS_respondCurrent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (listener_ < 0 || current_id_ == 0) return Napi::Number::New(env, -ENOENT);
  AnswerKind kind = KindFromJS(info[0]);
  int64_t value = info[1].As<Napi::Number>().Int64Value();
  uint64_t id = current_id_;
  current_id_ = 0;
  return Napi::Number::New(env, Answer(id, kind, value));
}

// isValid(id): the notification is still pending (seccomp_unotify(2): check
// after reading target memory, since the pid may have been reused).
Napi::Value NotifListenerWrap::JS_isValid(const Napi::CallbackInfo& info) {
  bool lossless;
  uint64_t id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  bool ok = listener_ >= 0 && ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Value NotifListenerWrap::JS_setSlot(const Napi::CallbackInfo& info) {
  SetSlotFromJS(slots_, info);
  return info.Env().Undefined();
}

Napi::Value NotifListenerWrap::JS_setCounted(const Napi::CallbackInfo& info) {
  SetCountedFromJS(slots_, info);
  return info.Env().Undefined();
}

Napi::Value NotifListenerWrap::JS_close(const Napi::CallbackInfo& info) {
  // A tree that is gone may have sent its hand-over message without our poll
  // having seen it yet (its exit came first): read it now, so that the route
  // is still reported (onReady) before everything closes.
  if (sock_ >= 0) OnHandover();
  Stop();
  return info.Env().Undefined();
}

// ref(bool): whether a live listener keeps Node's event loop alive.
Napi::Value NotifListenerWrap::JS_ref(const Napi::CallbackInfo& info) {
  bool on = info[0].ToBoolean();
  ref_ = on;
  for (uv_poll_t* p : {sock_poll_, listener_poll_}) {
    if (!p) continue;
    if (on) uv_ref(reinterpret_cast<uv_handle_t*>(p));
    else uv_unref(reinterpret_cast<uv_handle_t*>(p));
  }
  return info.Env().Undefined();
}

Napi::Value NotifListenerWrap::JS_stats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("received", static_cast<double>(received_));
  o.Set("handlerCalls", static_cast<double>(handler_calls_));
  o.Set("nativeAnswers", static_cast<double>(native_answers_));
  o.Set("syncWakeup", sync_wakeup_);
  return o;
}

}  // namespace sysstub
