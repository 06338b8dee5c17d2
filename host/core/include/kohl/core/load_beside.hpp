// Loads one of Kohl's own shared libraries on first use (codecs, training, inference, the
// face detector, the server): from ../lib next to the running program (build/lib beside build/bin),
// else by name through the library path. Returns the handle, or nullptr with `error`
// saying what was tried.
#pragma once

#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace kohl::core::detail {

inline void* load_beside(const std::string& name, const std::string& what, std::string& error) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  void* handle = nullptr;
  std::string tried;
  if (!ec) {
    const auto beside = exe.parent_path().parent_path() / "lib" / name;
    tried = beside.string();
    handle = ::dlopen(beside.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (!handle) handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    error = what + " unavailable: cannot load " + name + " (tried " + tried + " and the library path)" +
            (why ? std::string(": ") + why : std::string());
  }
  return handle;
}

// Loads `name` (load_beside) and looks up its entry points: each {"symbol", &function_pointer}.
// Returns false with `error` set when the library or one of them is missing, e.g.
//   load_entry_points("libkohl_codecs.so", "image codecs", lib.error,
//                     std::pair{"kohl_codecs_decode", &lib.decode}, ...);
// Call it once (std::call_once) and keep the pointers: a library loaded here stays loaded.
template <typename... Fn>
bool load_entry_points(const std::string& name, const std::string& what, std::string& error,
                       std::pair<const char*, Fn*>... entry) {
  void* handle = load_beside(name, what, error);
  if (!handle) return false;
  std::string missing;  // the first entry point not found
  auto look_up = [&](const char* symbol, auto* fn) {
    *fn = reinterpret_cast<std::remove_pointer_t<decltype(fn)>>(::dlsym(handle, symbol));
    if (!*fn && missing.empty()) missing = symbol;
  };
  (look_up(entry.first, entry.second), ...);
  if (!missing.empty()) error = what + " unavailable: " + name + " lacks the entry point " + missing;
  return missing.empty();
}

}  // namespace kohl::core::detail
