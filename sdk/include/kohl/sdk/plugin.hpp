// Plugin descriptors, the registrar and the entry macro. See sdk/docs/first-plugin.md.
//
// A plugin library exports two entry points through Boost.DLL aliases in section "kohl":
//   kohl_abi_info  -> const AbiInfo* ()            (also stored as data in section "kohl_abi")
//   kohl_register  -> Status (IRegistrar&) noexcept
// KOHL_PLUGIN(fn) defines both. The host reads the "kohl_abi" section from the file first,
// loads the library only when it matches, then calls kohl_register once, on the thread
// that loads plugins. Libraries are never unloaded.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include <boost/dll/alias.hpp>

#include "kohl/sdk/abi.hpp"
#include "kohl/sdk/host_services.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::sdk {

// Persisted (project files, --json output): the names below.
enum class PluginKind : std::uint32_t {
  kAugmenter = 1,
  kBackbone = 2,
  kEvaluator = 3,
  kExporter = 4,
};

inline const char* to_string(PluginKind k) {
  switch (k) {
    case PluginKind::kAugmenter: return "augmenter";
    case PluginKind::kBackbone: return "backbone";
    case PluginKind::kEvaluator: return "evaluator";
    case PluginKind::kExporter: return "exporter";
  }
  return "unknown";
}

enum Capability : std::uint64_t {
  kCapNone = 0,
  kCapGeometric = 1u << 0,   // augmenter: moves pixels, so it moves landmarks/masks/boxes too
  kCapTrainStep = 1u << 1,   // backbone: owns its per-step math (ITrainStep)
  kCapGraph = 1u << 2,       // backbone: describes its network as a NetGraph (exportable)
  kCapCuda = 1u << 3,        // runs on CUDA when the host's LibTorch has it
};

// Base of every plugin object. Objects are made by their descriptor's create() and
// destroyed by its destroy(), both inside the plugin library.
class IPlugin {
 public:
  virtual ~IPlugin() = default;
};

// create(): `params` are validated and complete (every key of the schema present).
// Returns the object or an error Status; must not throw.
using CreateFn = Result<IPlugin*> (*)(const ParamValues& params, IHostServices& host);
using DestroyFn = void (*)(IPlugin* object);
// migrate(): upgrades parameters stored at `from_version` to `from_version + 1`.
// The host calls it once per step until params_version is reached.
using MigrateFn = Result<ParamValues> (*)(std::uint32_t from_version, const ParamValues& old);

struct PluginDescriptor {
  std::uint32_t struct_size = sizeof(PluginDescriptor);  // first; fields are only appended
  PluginKind kind = PluginKind::kAugmenter;
  std::string id;             // persisted reverse-DNS id ("org.kohl.augment.flip"); never renamed
  std::string name;           // human name
  std::string version;        // the plugin's own version, "X.Y.Z"
  std::string summary;        // one sentence
  std::string license_notes;  // licences of code, weights, training data
  std::uint32_t params_version = 1;
  ParamSchema schema;
  std::uint64_t capabilities = kCapNone;
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  MigrateFn migrate = nullptr;  // may be null while params_version == 1
};

// The size of the v1.0 descriptor with this toolchain (the same-compiler contract makes it
// fixed). The host accepts any struct_size >= this and copies only the fields it covers.
constexpr std::uint32_t kPluginDescriptorV1Size = 232;
static_assert(sizeof(PluginDescriptor) >= kPluginDescriptorV1Size, "descriptor fields are only ever appended");

// Passed to kohl_register. add() copies the descriptor and returns an error Status when
// its struct_size is too small; the host checks the rest (id, schema, functions) after
// kohl_register returns and rejects a bad descriptor by itself, keeping the others.
class IRegistrar {
 public:
  virtual ~IRegistrar() = default;
  virtual Status add(const PluginDescriptor& descriptor) = 0;
  virtual std::uint32_t host_sdk_version() const = 0;
};

using RegisterFn = Status (*)(IRegistrar& registrar);

namespace detail {
// Keeps exceptions from crossing the boundary: whatever the plugin's register function
// throws becomes an error Status.
template <Status (*Fn)(IRegistrar&)>
Status guarded_register(IRegistrar& r) noexcept {
  try {
    return Fn(r);
  } catch (const std::exception& e) {
    return Status::error(std::string("register function threw: ") + e.what());
  } catch (...) {
    return Status::error("register function threw a non-standard exception");
  }
}
}  // namespace detail

// Typical create/destroy for a plugin class T constructible from (params, host).
template <typename T>
Result<IPlugin*> create_plugin(const ParamValues& params, IHostServices& host) {
  try {
    return static_cast<IPlugin*>(new T(params, host));
  } catch (const std::exception& e) {
    return Status::error(e.what());
  }
}
inline void destroy_plugin(IPlugin* p) { delete p; }

}  // namespace kohl::sdk

// Places this library's AbiInfo in section "kohl_abi", where the host reads it from the
// file before loading. Exposed separately so SDK tests can build mismatched plugins.
#define KOHL_PLUGIN_ABI(abi_info_expr)                                                    \
  extern "C" __attribute__((section("kohl_abi"), used, visibility("default")))           \
  const ::kohl::sdk::AbiInfo kohl_plugin_abi = abi_info_expr;                             \
  namespace kohl_plugin_entry_ {                                                          \
  inline const ::kohl::sdk::AbiInfo* abi_info() { return &kohl_plugin_abi; }              \
  }                                                                                       \
  BOOST_DLL_ALIAS_SECTIONED(kohl_plugin_entry_::abi_info, kohl_abi_info, kohl)

#define KOHL_PLUGIN_REGISTER(register_function)                                           \
  namespace kohl_plugin_entry_ {                                                          \
  inline ::kohl::sdk::Status entry_register(::kohl::sdk::IRegistrar& r) noexcept {        \
    return ::kohl::sdk::detail::guarded_register<register_function>(r);                   \
  }                                                                                       \
  }                                                                                       \
  BOOST_DLL_ALIAS_SECTIONED(kohl_plugin_entry_::entry_register, kohl_register, kohl)

// The one line every plugin library has, at global scope in one .cpp file:
//   KOHL_PLUGIN(my_register)   where   kohl::sdk::Status my_register(kohl::sdk::IRegistrar&);
#define KOHL_PLUGIN(register_function)  \
  KOHL_PLUGIN_ABI(KOHL_SDK_ABI_INFO)    \
  KOHL_PLUGIN_REGISTER(register_function)
