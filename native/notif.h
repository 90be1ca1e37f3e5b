// The user-notification route: seccomp_unotify(2). A listener fd per spawned
// tree, polled by Node's own event loop (uv_poll): a handler slot's call is
// received, answered natively when its answer is a constant, or passed to JS
// in the same loop iteration, and answered with SECCOMP_IOCTL_NOTIF_SEND.
// No tracer thread and no thread hop on this path.
//
// The filter asks for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (spawn_child.cc), so a
// received call waits for its answer through every signal but a fatal one
// and no answer is ever dropped. A signal that comes while a handler is still
// working is the supervisor's to deliver: lib/ watches the signals pending
// for threads with a call in flight and has the tracer interrupt the call
// (Tracer::InterruptNotified), as the kernel would have at once.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <napi.h>
#include <uv.h>

#include "seccomp_filter.h"
#include "slot_table.h"

namespace sysstub {

class NotifListenerWrap : public Napi::ObjectWrap<NotifListenerWrap> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  // new NotifListener(sockFd, onReady(ok), onCall(id, tid, nr, a0..a5))
  explicit NotifListenerWrap(const Napi::CallbackInfo& info);
  ~NotifListenerWrap() override;
  // A CLOEXEC duplicate of the listener (-1 without one), for the tracer thread.
  int DupListener() const;

 private:
  uv_poll_t* StartPoll(int fd, uv_poll_cb cb);
  static void OnSocket(uv_poll_t* h, int status, int events);
  static void OnListener(uv_poll_t* h, int status, int events);
  void OnHandover();
  void Drain();
  void Stop();
  bool HungUp() const;
  int Send(uint64_t id, int64_t val, int32_t error, uint32_t flags);
  // How a notification is answered: defined, with its meaning, in notif.cc
  // next to Answer() (its TS twin: lib/routes/notif.ts NotifAnswer).
  enum class AnswerKind : int32_t;
  static AnswerKind KindFromJS(const Napi::Value& v);
  int Answer(uint64_t id, AnswerKind kind, int64_t value);

  Napi::Value JS_respond(const Napi::CallbackInfo& info);
  Napi::Value JS_isValid(const Napi::CallbackInfo& info);
  Napi::Value JS_respondCurrent(const Napi::CallbackInfo& info);
  Napi::Value JS_setSlot(const Napi::CallbackInfo& info);
  Napi::Value JS_setCounted(const Napi::CallbackInfo& info);
  Napi::Value JS_close(const Napi::CallbackInfo& info);
  Napi::Value JS_stats(const Napi::CallbackInfo& info);
  Napi::Value JS_ref(const Napi::CallbackInfo& info);

  Napi::Env env_;
  Napi::FunctionReference on_ready_, on_call_;
  Napi::ObjectReference view_ref_;  // keeps the shared BigUint64Array alive
  uint64_t* view_ = nullptr;        // [id, arg0..arg5] of the notification being dispatched
  uint64_t current_id_ = 0;
  std::unique_ptr<Napi::AsyncContext> async_;
  int sock_ = -1, listener_ = -1;
  uv_poll_t* sock_poll_ = nullptr;
  uv_poll_t* listener_poll_ = nullptr;
  SlotTable slots_;  // written and read on Node's thread only
  uint64_t received_ = 0, handler_calls_ = 0, native_answers_ = 0;
  bool sync_wakeup_ = false;
  bool ref_ = true;
};

}  // namespace sysstub
