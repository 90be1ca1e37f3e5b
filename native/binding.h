// node-addon-api wrappers: see binding.cc.
#pragma once
#include <csignal>
#include <memory>
#include <napi.h>

#include "tracer.h"

namespace sysstub {

class TracerWrap : public Napi::ObjectWrap<TracerWrap> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  explicit TracerWrap(const Napi::CallbackInfo& info);
  ~TracerWrap() override;

 private:
  static void Deliver(Napi::Env env, Napi::Function fn, TracerWrap* self);
  static void CleanupHook(void* self);
  void Shutdown();
  Napi::Value JS_spawn(const Napi::CallbackInfo& info);
  Napi::Value JS_attach(const Napi::CallbackInfo& info);
  Napi::Value JS_detach(const Napi::CallbackInfo& info);
  Napi::Value JS_setSlot(const Napi::CallbackInfo& info);
  Napi::Value JS_setCounted(const Napi::CallbackInfo& info);
  Napi::Value JS_setTraced(const Napi::CallbackInfo& info);
  Napi::Value JS_answer(const Napi::CallbackInfo& info);
  Napi::Value JS_ref(const Napi::CallbackInfo& info);
  Napi::Value JS_unref(const Napi::CallbackInfo& info);
  Napi::Value JS_close(const Napi::CallbackInfo& info);
  Napi::Value JS_stats(const Napi::CallbackInfo& info);
  Napi::Value JS_relaySignals(const Napi::CallbackInfo& info);
  Napi::Value JS_interruptNotified(const Napi::CallbackInfo& info);
  Napi::Value JS_watch(const Napi::CallbackInfo& info);

  napi_env env_ = nullptr;
  Napi::ThreadSafeFunction tsfn_;
  std::unique_ptr<Tracer> tracer_;
  std::unique_ptr<Watchdog> watchdog_;
  Napi::Reference<Napi::Int32Array> watch_ref_;
};

Napi::Value JS_writeMemory(const Napi::CallbackInfo& info);
Napi::Value JS_readMemoryInto(const Napi::CallbackInfo& info);
Napi::Value JS_readCString(const Napi::CallbackInfo& info);
Napi::Value JS_pipe(const Napi::CallbackInfo& info);
Napi::Value JS_socketpair(const Napi::CallbackInfo& info);
Napi::Value JS_isForegroundTty(const Napi::CallbackInfo& info);
Napi::Value JS_killSelfWith(const Napi::CallbackInfo& info);
Napi::Value JS_holdSignals(const Napi::CallbackInfo& info);
Napi::Error SystemErrorFor(Napi::Env env, int err, const char* syscall);
// A bigint (all 64 bits) or a number from JS; a TypeError naming `what` otherwise.
uint64_t ToU64(const Napi::Value& v, const char* what);
// A signal set from a 64-bit mask (bit n-1: signal n), as /proc/PID/status prints it.
sigset_t ToSigset(const Napi::Value& v);
void SetSlotFromJS(SlotTable& table, const Napi::CallbackInfo& info);
void SetCountedFromJS(SlotTable& table, const Napi::CallbackInfo& info);

}  // namespace sysstub
