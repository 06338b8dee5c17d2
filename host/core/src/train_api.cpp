// Loads libkohl_train.so on first use (see train_api.hpp) and forwards to it.
#include "kohl/core/train_api.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

namespace kohl::core {

namespace {

using TrainFn = void (*)(const TrainRequest*, sdk::IProgress*, sdk::Result<sdk::Json>*);
using EvalFn = void (*)(const EvalRequest*, sdk::IProgress*, sdk::Result<sdk::Json>*);

struct Library {
  TrainFn train = nullptr;
  EvalFn evaluate = nullptr;
  std::string error;
};

const Library& library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    void* handle = nullptr;
    std::string tried;
    if (!ec) {
      const auto beside = exe.parent_path().parent_path() / "lib" / "libkohl_train.so";
      tried = beside.string();
      handle = ::dlopen(beside.c_str(), RTLD_NOW | RTLD_LOCAL);
    }
    if (!handle) handle = ::dlopen("libkohl_train.so", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = ::dlerror();
      lib.error = "training unavailable: cannot load libkohl_train.so (tried " + tried + " and the library path)" +
                  (why ? std::string(": ") + why : std::string());
      return;
    }
    lib.train = reinterpret_cast<TrainFn>(::dlsym(handle, "kohl_train_run"));
    lib.evaluate = reinterpret_cast<EvalFn>(::dlsym(handle, "kohl_train_evaluate"));
    if (!lib.train || !lib.evaluate) lib.error = "training unavailable: libkohl_train.so lacks an entry point";
  });
  return lib;
}

}  // namespace

sdk::Result<sdk::Json> train(const TrainRequest& request, sdk::IProgress& progress) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  sdk::Result<sdk::Json> out = sdk::Status::error("training did not report a result");
  lib.train(&request, &progress, &out);
  return out;
}

sdk::Result<sdk::Json> evaluate(const EvalRequest& request, sdk::IProgress& progress) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  sdk::Result<sdk::Json> out = sdk::Status::error("evaluation did not report a result");
  lib.evaluate(&request, &progress, &out);
  return out;
}

}  // namespace kohl::core
