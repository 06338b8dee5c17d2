// Command registration for the CLI. Each command group adds its subcommands to the app
// and sets Context::action, which main() runs after parsing succeeds.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace kohl::cli {

struct Context {
  std::function<int()> action;  // set by the parsed subcommand; returns the exit code
};

void add_plugins_commands(CLI::App& app, Context& ctx);
void add_project_commands(CLI::App& app, Context& ctx);
void add_data_commands(CLI::App& app, Context& ctx);

// Prints "kohl: error: <message>" on stderr and returns the exit code for failures.
int fail(const std::string& message);

}  // namespace kohl::cli
