// Parameter validation against a plugin's schema. Used by the plugin host (before
// create()), the CLI (--set key=value), the GUI property grid and project loading.
// Every error names the plugin id, the key and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kohl/sdk/params.hpp"
#include "kohl/sdk/plugin.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::core {

// A schema is well-formed: keys unique and made of [a-z0-9_.], labels present, min <= max,
// enum items present, every default valid for its own spec.
sdk::Status check_schema(const std::string& plugin_id, const sdk::ParamSchema& schema);

// Checks one value against its spec; the error says what was expected.
sdk::Status check_value(const std::string& plugin_id, const sdk::ParamSpec& spec, const sdk::Json& value);

// Validates `values` (a JSON object) and fills every missing key with its default.
// Unknown keys are errors (a typo must not be silently ignored).
sdk::Result<sdk::ParamValues> validate_params(const std::string& plugin_id, const sdk::ParamSchema& schema,
                                              const sdk::ParamValues& values);

// Parses CLI assignments ("p=0.5", "color=#ff0000", "range=0.1,0.9") into a JSON object,
// typed by the schema. Does not validate ranges: pass the result to validate_params.
sdk::Result<sdk::ParamValues> parse_assignments(const std::string& plugin_id, const sdk::ParamSchema& schema,
                                                const std::vector<std::string>& assignments);

// The schema as JSON (kohl plugins describe --json).
sdk::Json schema_to_json(const sdk::ParamSchema& schema);

// Parameters as stored in a project: the plugin, the params version they were saved at,
// and the values. Settings of a plugin that is not installed are kept exactly as stored.
struct StoredParams {
  std::string plugin_id;
  std::uint32_t params_version = 1;
  sdk::Json values = sdk::Json::object();
};

// Upgrades stored values to descriptor.params_version, one migrate() step at a time.
// A version newer than the plugin's, or a missing migrate function, is an error.
sdk::Result<sdk::ParamValues> migrate_params(const sdk::PluginDescriptor& descriptor, const StoredParams& stored);

}  // namespace kohl::core
