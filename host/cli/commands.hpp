// Command registration for the CLI. Each command group adds its subcommands to the app
// and sets Context::action, which main() runs after parsing succeeds.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "kohl/core/project.hpp"
#include "kohl/sdk/params.hpp"

namespace kohl::core {
class DataStore;
}

namespace kohl::cli {

struct Context {
  std::function<int()> action;  // set by the parsed subcommand; returns the exit code
};

void add_plugins_commands(CLI::App& app, Context& ctx);
void add_project_commands(CLI::App& app, Context& ctx);
void add_data_commands(CLI::App& app, Context& ctx);
// kohl faces detect, kohl annotate auto, kohl tryon
void add_faces_commands(CLI::App& app, Context& ctx);
// kohl train, kohl eval, kohl runs ls/show
void add_train_commands(CLI::App& app, Context& ctx);
// kohl serve BUNDLE
void add_serve_command(CLI::App& app, Context& ctx);
// kohl export, kohl bundle verify
void add_export_commands(CLI::App& app, Context& ctx);
// kohl report, kohl compare (the pages of kohl_report)
void add_report_commands(CLI::App& app, Context& ctx);
// kohl data synth (registered under the `data` subcommand)
void add_synth_command(CLI::App& data, Context& ctx);

// Prints "kohl: error: <message>" on stderr and returns the exit code for failures.
int fail(const std::string& message);

// Opens the project and runs fn(store); an open error becomes one line and exit 1.
int with_store(const std::string& path, core::Project::Mode mode, const std::function<int(core::DataStore&)>& fn);

// Writes a command's JSON report to `path` (--report FILE) when one is given. Returns 0, or
// 1 after printing the error when the file cannot be written.
int write_report(const std::string& path, const sdk::Json& report);

}  // namespace kohl::cli
