// The plugin host: finds plugin libraries, checks their handshake from the file before
// loading, loads the good ones, registers their descriptors and makes plugin objects.
//
// Threading: load_* on one thread (the one that owns the host), before any create().
// create() may then be called from any thread. Libraries are never unloaded while the
// process lives (LibTorch registers operators globally; unloading it crashes); every
// plugin object also holds a reference to its library.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "kohl/core/host_services.hpp"
#include "kohl/core/params.hpp"
#include "kohl/sdk/augmenter.hpp"
#include "kohl/sdk/evaluator.hpp"
#include "kohl/sdk/plugin.hpp"

namespace kohl::sdk {
class IBackbone;
class IExporter;
}  // namespace kohl::sdk

namespace kohl::core {

class LoadedLibrary;  // a dlopen'ed plugin library; lives until the process ends

enum class PluginStatus { kLoaded, kRejected };
inline const char* to_string(PluginStatus s) { return s == PluginStatus::kLoaded ? "loaded" : "rejected"; }

// One row of `kohl plugins list`: a registered descriptor, or a file / descriptor that
// was rejected (then `reason` says why in one line, and id may be empty).
struct PluginRecord {
  std::string file;
  std::string id;
  std::optional<sdk::PluginKind> kind;
  std::string name;
  std::string version;
  PluginStatus status = PluginStatus::kRejected;
  std::string reason;
  std::string abi;  // the plugin's build fingerprint, when its handshake could be read
  std::shared_ptr<const sdk::PluginDescriptor> descriptor;  // loaded only
  std::shared_ptr<LoadedLibrary> library;                   // loaded only
};

// Stored settings matched against the loaded plugins.
struct ResolvedParams {
  StoredParams stored;         // as read from the project
  bool plugin_loaded = false;  // false: the plugin is missing; keep `stored` verbatim
  sdk::ParamValues values;     // migrated and validated when loaded; the stored values otherwise
  std::string error;           // why migration failed (then `values` are the stored ones)
  bool ok() const { return plugin_loaded && error.empty(); }
};

template <typename T> struct KindOf;
template <> struct KindOf<sdk::IAugmenter> { static constexpr sdk::PluginKind value = sdk::PluginKind::kAugmenter; };
template <> struct KindOf<sdk::IBackbone> { static constexpr sdk::PluginKind value = sdk::PluginKind::kBackbone; };
template <> struct KindOf<sdk::IEvaluator> { static constexpr sdk::PluginKind value = sdk::PluginKind::kEvaluator; };
template <> struct KindOf<sdk::IExporter> { static constexpr sdk::PluginKind value = sdk::PluginKind::kExporter; };

// "a:b::c" -> {"a", "b", "c"}: the folders of a colon-separated list (KOHL_PLUGIN_PATH).
std::vector<std::string> split_path_list(const std::string& list);

class PluginHost {
 public:
  PluginHost() = default;
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // The folders a host searches by default: ../plugins next to the running binary, then
  // each folder of KOHL_PLUGIN_PATH (colon-separated).
  static std::vector<std::string> default_search_dirs();

  // Loads every *.so directly inside each folder (sorted by name; missing folders are
  // skipped). A bad file is recorded as rejected and logged in one line; loading goes on.
  void load_dirs(const std::vector<std::string>& dirs);
  // Loads one file (see load_dirs).
  void load_file(const std::string& path);

  const std::vector<PluginRecord>& records() const { return records_; }
  // The loaded descriptor with this id, or nullptr.
  const PluginRecord* find(const std::string& id) const;

  // Upgrades stored settings to the loaded plugin's params version. Settings of a plugin
  // that is not loaded come back unchanged with plugin_loaded = false: callers must not
  // write them back, so they survive until the plugin is installed again.
  ResolvedParams resolve(const StoredParams& stored) const;

  // Validates `params` (filling defaults), then makes an object of plugin `id`. The
  // returned pointer destroys the object through the plugin's destroy() and keeps the
  // library (and the object's IHostServices) alive.
  sdk::Result<std::shared_ptr<sdk::IPlugin>> create(const std::string& id, const sdk::ParamValues& params,
                                                    sdk::PluginKind expected_kind, HostContext context = {}) const;

  template <typename T>
  sdk::Result<std::shared_ptr<T>> create(const std::string& id, const sdk::ParamValues& params = sdk::Json::object(),
                                         HostContext context = {}) const {
    auto r = create(id, params, KindOf<T>::value, std::move(context));
    if (!r) return r.status();
    // The kind was checked against the descriptor, so the object is a T.
    std::shared_ptr<sdk::IPlugin> base = std::move(r).value();
    T* typed = static_cast<T*>(base.get());
    return std::shared_ptr<T>(std::move(base), typed);
  }

 private:
  void reject(const std::string& file, const std::string& reason, const std::string& abi = {},
              const std::string& id = {});
  std::set<std::string> searched_dirs_;  // canonical folders load_dirs() has listed
  std::vector<PluginRecord> records_;
};

}  // namespace kohl::core
