// Loads one of Kohl's own shared libraries on first use (codecs, training, inference, the
// face detector): from ../lib next to the running program (build/lib beside build/bin),
// else by name through the library path. Returns the handle, or nullptr with `error`
// saying what was tried.
#pragma once

#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <system_error>

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

}  // namespace kohl::core::detail
