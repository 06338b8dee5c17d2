// kohl project new | info
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kohl/core/project.hpp"

namespace kohl::cli {

namespace {
// The project object of `project new --json` and `project info --json` (docs/cli.md).
nlohmann::json info_json(const core::ProjectInfo& i) {
  return {{"path", i.path}, {"name", i.name}, {"schema_version", i.schema_version}, {"kohl_version", i.kohl_version},
          {"created", i.created}};
}
}  // namespace

void add_project_commands(CLI::App& app, Context& ctx) {
  auto* project = app.add_subcommand("project", "Create and inspect project files (*.kohl)");
  project->require_subcommand(1);

  struct NewArgs {
    std::string path, name;
    bool json = false;
  };
  auto a = std::make_shared<NewArgs>();
  auto* cmd_new = project->add_subcommand("new", "Create a new, empty project file");
  cmd_new->add_option("path", a->path, "Where to create it, e.g. skin.kohl (must not exist)")->required();
  cmd_new->add_option("--name", a->name, "The project's name, shown in kohl-studio")->required();
  cmd_new->add_flag("--json", a->json, "Print the new project's info as JSON");
  cmd_new->callback([&ctx, a] {
    ctx.action = [a] {
      auto p = core::Project::create(a->path, a->name);
      if (!p) return fail(p.status().message());
      auto i = p.value()->info();
      if (a->json)
        std::cout << info_json(i).dump(2)
                  << "\n";
      else
        std::cout << "created project '" << i.name << "' at " << i.path << "\n";
      return 0;
    };
  });

  struct InfoArgs {
    std::string path;
    bool json = false;
  };
  auto b = std::make_shared<InfoArgs>();
  auto* cmd_info = project->add_subcommand("info", "Show a project's name, schema version and Kohl version");
  cmd_info->add_option("path", b->path, "The project file (*.kohl)")->required();
  cmd_info->add_flag("--json", b->json, "Print JSON: {name, schema_version, kohl_version, created, path}");
  cmd_info->callback([&ctx, b] {
    ctx.action = [b] {
      auto p = core::Project::open(b->path, core::Project::Mode::kReadOnly);
      if (!p) return fail(p.status().message());
      auto i = p.value()->info();
      if (b->json) {
        std::cout << info_json(i).dump(2)
                  << "\n";
      } else {
        std::cout << "name:            " << i.name << "\n"
                  << "path:            " << i.path << "\n"
                  << "schema version:  " << i.schema_version << "\n"
                  << "created by Kohl: " << i.kohl_version << "\n"
                  << "created:         " << i.created << "\n";
      }
      return 0;
    };
  });
}

}  // namespace kohl::cli
