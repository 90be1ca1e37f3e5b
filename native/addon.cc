// Registration only: what the addon exports. See binding.cc for the surface.
#include <napi.h>

#include "binding.h"
#include "notif.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sysstub::TracerWrap::Init(env, exports);
  sysstub::NotifListenerWrap::Init(env, exports);
  exports.Set("readMemoryInto", Napi::Function::New(env, sysstub::JS_readMemoryInto, "readMemoryInto"));
  exports.Set("writeMemory", Napi::Function::New(env, sysstub::JS_writeMemory, "writeMemory"));
  exports.Set("readCString", Napi::Function::New(env, sysstub::JS_readCString, "readCString"));
  exports.Set("socketpair", Napi::Function::New(env, sysstub::JS_socketpair, "socketpair"));
  exports.Set("pipe", Napi::Function::New(env, sysstub::JS_pipe, "pipe"));
  exports.Set("isForegroundTty", Napi::Function::New(env, sysstub::JS_isForegroundTty, "isForegroundTty"));
  exports.Set("holdSignals", Napi::Function::New(env, sysstub::JS_holdSignals, "holdSignals"));
  exports.Set("killSelfWith", Napi::Function::New(env, sysstub::JS_killSelfWith, "killSelfWith"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sysstub, Init)
