// kohl plugins list | describe
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kohl/core/params.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/faces/annotate.hpp"

namespace kohl::cli {

namespace {

nlohmann::json capabilities_json(std::uint64_t caps) {
  nlohmann::json a = nlohmann::json::array();
  if (caps & sdk::kCapGeometric) a.push_back("geometric");
  if (caps & sdk::kCapTrainStep) a.push_back("train_step");
  if (caps & sdk::kCapGraph) a.push_back("graph");
  if (caps & sdk::kCapCuda) a.push_back("cuda");
  return a;
}

nlohmann::json record_json(const core::PluginRecord& r) {
  nlohmann::json j = {{"id", r.id},
                      {"kind", r.kind ? sdk::to_string(*r.kind) : ""},
                      {"name", r.name},
                      {"version", r.version},
                      {"file", r.file},
                      {"status", core::to_string(r.status)}};
  if (r.status == core::PluginStatus::kRejected) j["reason"] = r.reason;
  if (!r.abi.empty()) j["abi"] = r.abi;
  return j;
}

}  // namespace

void add_plugins_commands(CLI::App& app, Context& ctx) {
  auto* plugins = app.add_subcommand("plugins", "List the plugins Kohl finds and describe their parameters");
  plugins->require_subcommand(1);

  auto list_json = std::make_shared<bool>(false);
  auto* list = plugins->add_subcommand("list", "List every plugin found, loaded or rejected (with the reason)");
  list->add_flag("--json", *list_json,
                 "Print a JSON array of {id, kind, name, version, file, status, reason (rejected only), abi}");
  list->callback([&ctx, list_json] {
    ctx.action = [list_json] {
      core::PluginHost host;
      host.load_dirs(core::PluginHost::default_search_dirs());
      if (*list_json) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& r : host.records()) a.push_back(record_json(r));
        const auto builtin = faces::annotator_description();
        a.push_back({{"id", builtin["id"]}, {"kind", builtin["kind"]}, {"name", builtin["name"]},
                     {"version", builtin["version"]}, {"file", ""}, {"status", "built-in"}});
        std::cout << a.dump(2) << "\n";
        return 0;
      }
      if (host.records().empty())
        std::cout << "no plugins found (searched ../plugins next to kohl and KOHL_PLUGIN_PATH)\n";
      for (const auto& r : host.records()) {
        if (r.status == core::PluginStatus::kLoaded)
          std::cout << std::left << std::setw(40) << r.id << std::setw(11) << sdk::to_string(*r.kind)
                    << std::setw(9) << r.version << r.file << "\n";
        else
          std::cout << std::left << std::setw(40) << (r.id.empty() ? "-" : r.id) << std::setw(11) << "REJECTED"
                    << std::setw(9) << "" << r.file << ": " << r.reason << "\n";
      }
      const auto builtin = faces::annotator_description();
      std::cout << std::left << std::setw(40) << builtin["id"].get<std::string>() << std::setw(11) << "annotator"
                << std::setw(9) << builtin["version"].get<std::string>() << "(built into kohl)\n";
      return 0;
    };
  });

  struct DescribeArgs {
    std::string id;
    bool json = false;
  };
  auto d = std::make_shared<DescribeArgs>();
  auto* describe = plugins->add_subcommand("describe", "Show one plugin: what it does, its licence notes and parameters");
  describe->add_option("id", d->id, "Plugin id, e.g. org.kohl.augment.flip (see `kohl plugins list`)")->required();
  describe->add_flag("--json", d->json, "Print JSON with the parameter schema under \"params\"");
  describe->callback([&ctx, d] {
    ctx.action = [d] {
      if (d->id == faces::kAutoAnnotatorId) {
        const auto b = faces::annotator_description();
        if (d->json) {
          std::cout << b.dump(2) << "\n";
        } else {
          std::cout << b["name"].get<std::string>() << " (" << d->id << " " << b["version"].get<std::string>()
                    << ", annotator, built into kohl)\n"
                    << b["summary"].get<std::string>() << "\n"
                    << "model:    " << b["landmark_model"].get<std::string>() << "\n"
                    << "licence:  " << b["license_notes"].get<std::string>() << "\n"
                    << "parameters: the options of `kohl annotate auto --help`\n";
        }
        return 0;
      }
      core::PluginHost host;
      host.load_dirs(core::PluginHost::default_search_dirs());
      const core::PluginRecord* r = host.find(d->id);
      if (!r) {
        for (const auto& rec : host.records())
          if (rec.id == d->id) return fail("plugin " + d->id + " was rejected: " + rec.reason);
        return fail("no plugin with id '" + d->id + "' (run `kohl plugins list` to see the ids)");
      }
      const auto& desc = *r->descriptor;
      if (d->json) {
        nlohmann::json j = record_json(*r);
        j["summary"] = desc.summary;
        j["license_notes"] = desc.license_notes;
        j["params_version"] = desc.params_version;
        j["capabilities"] = capabilities_json(desc.capabilities);
        j["params"] = core::schema_to_json(desc.schema);
        std::cout << j.dump(2) << "\n";
        return 0;
      }
      std::cout << desc.name << " (" << desc.id << " " << desc.version << ", " << sdk::to_string(desc.kind) << ")\n"
                << desc.summary << "\n"
                << "file:     " << r->file << "\n"
                << "built:    " << r->abi << "\n";
      if (!desc.license_notes.empty()) std::cout << "licence:  " << desc.license_notes << "\n";
      std::cout << "parameters (version " << desc.params_version << "):\n";
      if (desc.schema.empty()) std::cout << "  none\n";
      for (const auto& p : core::schema_to_json(desc.schema)) {
        std::cout << "  " << std::left << std::setw(22) << p["key"].get<std::string>() << std::setw(12)
                  << p["type"].get<std::string>() << "default " << p["default"].dump();
        if (!p["min"].is_null() || !p["max"].is_null())
          std::cout << "  range [" << (p["min"].is_null() ? "-inf" : p["min"].dump()) << ", "
                    << (p["max"].is_null() ? "inf" : p["max"].dump()) << "]";
        if (p.contains("items")) std::cout << "  one of " << p["items"].dump();
        std::cout << "\n      " << p["label"].get<std::string>();
        if (!p["help"].get<std::string>().empty()) std::cout << ": " << p["help"].get<std::string>();
        std::cout << "\n";
      }
      return 0;
    };
  });
}

}  // namespace kohl::cli
