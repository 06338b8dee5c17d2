// kohl: entry point. Parses the command line, runs the chosen command, turns every error
// into one line on stderr and a non-zero exit code (1: the command failed, 2: misuse).
#include <iostream>

#include "commands.hpp"
#include "kohl/core/log.hpp"
#include "kohl/core/version.hpp"

namespace kohl::cli {
int fail(const std::string& message) {
  std::cerr << "kohl: error: " << message << "\n";
  return 1;
}
}  // namespace kohl::cli

int main(int argc, char** argv) {
  using namespace kohl;
  CLI::App app{
      "kohl: the command line of Kohl, the workbench for beauty-AI teams.\n"
      "Manage projects (*.kohl), their face datasets and the plugins Kohl loads. Run `kohl COMMAND --help` for each command."};
  app.name("kohl");
  app.set_version_flag("--version", std::string("kohl ") + core::kKohlVersion, "Print the version and exit");
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log more (plugin loading, migrations)");
  app.require_subcommand(1);
  app.footer("Plugins are searched in ../plugins next to this binary and in the folders of KOHL_PLUGIN_PATH.");

  cli::Context ctx;
  cli::add_project_commands(app, ctx);
  cli::add_data_commands(app, ctx);
  cli::add_plugins_commands(app, ctx);
  cli::add_faces_commands(app, ctx);
  cli::add_train_commands(app, ctx);
  cli::add_report_commands(app, ctx);
  cli::add_export_commands(app, ctx);
  cli::add_serve_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Name the command the user was in, and what it expects.
    CLI::App* deepest = &app;
    std::string path = "kohl";
    for (auto subs = deepest->get_subcommands(); !subs.empty(); subs = deepest->get_subcommands()) {
      deepest = subs.front();
      path += " " + deepest->get_name();
    }
    std::string what = e.what();
    if (what.empty()) what = e.get_name();
    if (what.find("subcommand is required") != std::string::npos || what.find("not expected") != std::string::npos) {
      std::string names;
      for (const auto* sub : deepest->get_subcommands({})) names += (names.empty() ? "" : ", ") + sub->get_name();
      if (!names.empty()) what = "unknown or missing command (expected one of: " + names + ")";
    }
    const std::string where = path == "kohl" ? "" : path.substr(5) + ": ";  // "project new: "
    std::cerr << "kohl: error: " << where << what << " (run `" << path << " --help`)\n";
    return 2;
  }
  if (verbose) core::set_log_level(spdlog::level::debug);
  if (!ctx.action) {
    std::cerr << "kohl: error: no command given (run `kohl --help`)\n";
    return 2;
  }
  try {
    return ctx.action();
  } catch (const std::exception& e) {
    return cli::fail(e.what());
  }
}
