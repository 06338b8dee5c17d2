#include "kohl/core/plugin_host.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "kohl/core/abi_check.hpp"
#include "kohl/core/elf_section.hpp"
#include "kohl/core/log.hpp"
#include "kohl/core/params.hpp"

namespace kohl::core {

namespace fs = std::filesystem;

class LoadedLibrary {
 public:
  explicit LoadedLibrary(boost::dll::shared_library lib) : lib_(std::move(lib)) {}
  boost::dll::shared_library& get() { return lib_; }

 private:
  boost::dll::shared_library lib_;
};

namespace {

// Every library ever loaded, by canonical path. Leaked on purpose: libraries are never
// unloaded, not even when the last PluginHost goes away.
std::map<std::string, std::shared_ptr<LoadedLibrary>>& library_registry() {
  static auto* registry = new std::map<std::string, std::shared_ptr<LoadedLibrary>>();
  return *registry;
}
std::mutex& registry_mutex() {
  static auto* m = new std::mutex();
  return *m;
}

// Copies the fields a descriptor of d.struct_size bytes has. Today every field is a v1.0
// field; a field appended in SDK 1.N is copied only when d.struct_size covers it, so an
// older plugin's smaller struct is never read past its end.
std::shared_ptr<sdk::PluginDescriptor> copy_known_fields(const sdk::PluginDescriptor& d) {
  auto out = std::make_shared<sdk::PluginDescriptor>();
  out->kind = d.kind;
  out->id = d.id;
  out->name = d.name;
  out->version = d.version;
  out->summary = d.summary;
  out->license_notes = d.license_notes;
  out->params_version = d.params_version;
  out->schema = d.schema;
  out->capabilities = d.capabilities;
  out->create = d.create;
  out->destroy = d.destroy;
  out->migrate = d.migrate;
  return out;
}

class Registrar final : public sdk::IRegistrar {
 public:
  sdk::Status add(const sdk::PluginDescriptor& d) override {
    if (d.struct_size < sdk::kPluginDescriptorV1Size)
      return sdk::Status::invalid("descriptor has size " + std::to_string(d.struct_size) + ", expected at least " +
                                  std::to_string(sdk::kPluginDescriptorV1Size));
    added.push_back(copy_known_fields(d));
    return sdk::Status::ok();
  }
  std::uint32_t host_sdk_version() const override { return sdk::kSdkVersion; }
  std::vector<std::shared_ptr<sdk::PluginDescriptor>> added;
};

bool valid_id(const std::string& id) {
  if (id.size() < 3 || id.find('.') == std::string::npos || id.front() == '.' || id.back() == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

std::string check_descriptor(const sdk::PluginDescriptor& d) {
  if (!valid_id(d.id))
    return "invalid id '" + d.id + "': use a reverse-DNS id of [a-z0-9._-] such as org.example.augment.blur";
  switch (d.kind) {
    case sdk::PluginKind::kAugmenter:
    case sdk::PluginKind::kBackbone:
    case sdk::PluginKind::kEvaluator:
    case sdk::PluginKind::kExporter: break;
    default: return "plugin " + d.id + ": unknown kind " + std::to_string(static_cast<std::uint32_t>(d.kind));
  }
  if (!d.create || !d.destroy) return "plugin " + d.id + ": descriptor lacks a create or destroy function";
  if (d.params_version == 0) return "plugin " + d.id + ": params_version must start at 1";
  if (d.params_version > 1 && !d.migrate)
    return "plugin " + d.id + ": params_version is " + std::to_string(d.params_version) +
           " but there is no migrate function";
  sdk::Status s = check_schema(d.id, d.schema);
  return s ? std::string() : s.message();
}

}  // namespace

std::vector<std::string> PluginHost::default_search_dirs() {
  std::vector<std::string> dirs;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "plugins").string());
  if (const char* env = std::getenv("KOHL_PLUGIN_PATH"))
    for (auto& d : split_path_list(env)) dirs.push_back(std::move(d));
  return dirs;
}

std::vector<std::string> split_path_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(':', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void PluginHost::load_dirs(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      logger()->debug("plugin folder {} does not exist; skipped", dir);
      continue;
    }
    // The same folder named twice (KOHL_PLUGIN_PATH pointing at ../plugins, a symlink) is
    // searched once: its plugins are not duplicates of themselves.
    const fs::path canonical = fs::weakly_canonical(dir, ec);
    if (!ec && !searched_dirs_.insert(canonical.string()).second) {
      logger()->debug("plugin folder {} already searched; skipped", dir);
      continue;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".so") files.push_back(it->path());
    if (ec) logger()->warn("{}: cannot list plugin folder: {}", dir, ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) load_file(f.string());
  }
}

void PluginHost::reject(const std::string& file, const std::string& reason, const std::string& abi,
                        const std::string& id) {
  PluginRecord r;
  r.file = file;
  r.id = id;
  r.status = PluginStatus::kRejected;
  r.reason = reason;
  r.abi = abi;
  records_.push_back(std::move(r));
  logger()->warn("plugin {} rejected: {}", file, reason);
}

void PluginHost::load_file(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec);
  if (ec) return reject(path, "cannot resolve path: " + ec.message());
  if (!fs::is_regular_file(canonical, ec)) return reject(path, "not a regular file");

  // 1. The handshake, read from the file: no plugin code runs before it is checked.
  auto section = read_elf_section(canonical.string(), "kohl_abi");
  if (!section) {
    const std::string& m = section.status().message();
    if (m == "no section 'kohl_abi'")
      return reject(path, "not a Kohl plugin: no 'kohl_abi' handshake section (build it with KOHL_PLUGIN from the Kohl SDK)");
    return reject(path, m);
  }
  auto abi = decode_abi(section.value());
  if (!abi) return reject(path, "unreadable handshake: " + abi.status().message());
  const std::string abi_text = describe_abi(abi.value());
  if (sdk::Status s = check_abi(abi.value(), host_abi_info()); !s) return reject(path, s.message(), abi_text);

  // 2. The register entry point must be there before we load.
  try {
    boost::dll::library_info info(canonical);
    auto syms = info.symbols("kohl");
    if (std::find(syms.begin(), syms.end(), "kohl_register") == syms.end())
      return reject(path, "missing entry point 'kohl_register' (declare it with KOHL_PLUGIN)", abi_text);
  } catch (const std::exception& e) {
    return reject(path, std::string("cannot read symbols: ") + e.what(), abi_text);
  }

  // 3. Load (once per process) and register.
  std::shared_ptr<LoadedLibrary> lib;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto& reg = library_registry();
    auto it = reg.find(canonical.string());
    if (it != reg.end()) {
      lib = it->second;
    } else {
      try {
        lib = std::make_shared<LoadedLibrary>(boost::dll::shared_library(
            canonical, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local));
      } catch (const std::exception& e) {
        return reject(path, std::string("cannot load: ") + e.what(), abi_text);
      }
      reg.emplace(canonical.string(), lib);
    }
  }
  if (!lib->get().has("kohl_register"))
    return reject(path, "missing entry point 'kohl_register' (declare it with KOHL_PLUGIN)", abi_text);

  Registrar registrar;
  sdk::Status st;
  try {
    auto& fn = lib->get().get_alias<sdk::Status(sdk::IRegistrar&)>("kohl_register");
    st = fn(registrar);
  } catch (const std::exception& e) {
    st = sdk::Status::error(std::string("register function threw: ") + e.what());
  } catch (...) {
    st = sdk::Status::error("register function threw a non-standard exception");
  }
  if (!st) return reject(path, "registration failed: " + st.message(), abi_text);
  if (registrar.added.empty()) return reject(path, "registered no plugins", abi_text);

  for (auto& d : registrar.added) {
    if (std::string why = check_descriptor(*d); !why.empty()) {
      reject(path, why, abi_text, d->id);
      continue;
    }
    if (const PluginRecord* prev = find(d->id)) {
      reject(path, "duplicate id '" + d->id + "': already loaded from " + prev->file, abi_text, d->id);
      continue;
    }
    PluginRecord r;
    r.file = path;
    r.id = d->id;
    r.kind = d->kind;
    r.name = d->name;
    r.version = d->version;
    r.status = PluginStatus::kLoaded;
    r.abi = abi_text;
    r.descriptor = d;
    r.library = lib;
    records_.push_back(std::move(r));
    logger()->debug("plugin {} {} loaded from {}", d->id, d->version, path);
  }
}

const PluginRecord* PluginHost::find(const std::string& id) const {
  for (const auto& r : records_)
    if (r.status == PluginStatus::kLoaded && r.id == id) return &r;
  return nullptr;
}

ResolvedParams PluginHost::resolve(const StoredParams& stored) const {
  ResolvedParams r;
  r.stored = stored;
  r.values = stored.values;
  const PluginRecord* rec = find(stored.plugin_id);
  if (!rec) return r;
  r.plugin_loaded = true;
  auto migrated = migrate_params(*rec->descriptor, stored);
  if (migrated)
    r.values = std::move(migrated).value();
  else
    r.error = migrated.status().message();
  return r;
}

sdk::Result<std::shared_ptr<sdk::IPlugin>> PluginHost::create(const std::string& id, const sdk::ParamValues& params,
                                                              sdk::PluginKind expected_kind,
                                                              HostContext context) const {
  const PluginRecord* rec = find(id);
  if (!rec) return sdk::Status::invalid("no plugin with id '" + id + "' is loaded (see `kohl plugins list`)");
  const auto& d = *rec->descriptor;
  if (d.kind != expected_kind)
    return sdk::Status::invalid("plugin " + id + " is a " + sdk::to_string(d.kind) + ", not a " +
                                sdk::to_string(expected_kind));
  auto values = validate_params(id, d.schema, params);
  if (!values) return values.status();

  auto services = std::make_shared<HostServices>(id, std::move(context));
  sdk::Result<sdk::IPlugin*> made = sdk::Status::error("create did not run");
  try {
    made = d.create(values.value(), *services);
  } catch (const std::exception& e) {
    return sdk::Status::error("plugin " + id + ": create threw: " + e.what());
  } catch (...) {
    return sdk::Status::error("plugin " + id + ": create threw a non-standard exception");
  }
  if (!made) return sdk::Status::error("plugin " + id + ": create failed: " + made.status().message());
  if (made.value() == nullptr) return sdk::Status::error("plugin " + id + ": create returned no object");

  // The deleter owns what the object needs to outlive it: its library, its descriptor
  // (destroy function) and its host services.
  auto destroy = d.destroy;
  auto library = rec->library;
  auto descriptor = rec->descriptor;
  return std::shared_ptr<sdk::IPlugin>(made.value(), [destroy, library, descriptor, services](sdk::IPlugin* p) {
    destroy(p);
  });
}

}  // namespace kohl::core
