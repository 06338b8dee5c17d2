#include "kohl/core/params.hpp"

#include <cmath>
#include <set>
#include <sstream>

namespace kohl::core {

using sdk::Json;
using sdk::ParamSpec;
using sdk::ParamType;
using sdk::Status;

namespace {

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string bounds(const ParamSpec& s) {
  if (s.min && s.max) return " in [" + num(*s.min) + ", " + num(*s.max) + "]";
  if (s.min) return " >= " + num(*s.min);
  if (s.max) return " <= " + num(*s.max);
  return "";
}

std::string expected(const ParamSpec& s) {
  switch (s.type) {
    case ParamType::kBool: return "true or false";
    case ParamType::kInt: return "an integer" + bounds(s);
    case ParamType::kFloat: return "a number" + bounds(s);
    case ParamType::kEnum: {
      std::string items;
      for (const auto& i : s.enum_items) items += (items.empty() ? "" : ", ") + i;
      return "one of: " + items;
    }
    case ParamType::kString: return "a string";
    case ParamType::kPath: return "a path (string)";
    case ParamType::kColor: return "a colour as \"#rrggbb\"";
    case ParamType::kIntRange: return "an integer range [lo, hi] with lo <= hi" + bounds(s);
    case ParamType::kFloatRange: return "a range [lo, hi] with lo <= hi" + bounds(s);
  }
  return "a value";
}

bool in_bounds(const ParamSpec& s, double v) {
  if (!std::isfinite(v)) return false;
  if (s.min && v < *s.min) return false;
  if (s.max && v > *s.max) return false;
  return true;
}

Status error(const std::string& plugin_id, const ParamSpec& s, const Json& got) {
  return Status::invalid("plugin " + plugin_id + ": parameter '" + s.key + "': expected " + expected(s) + ", got " +
                         got.dump());
}

bool valid_key(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  return true;
}

}  // namespace

Status check_value(const std::string& plugin_id, const ParamSpec& s, const Json& v) {
  bool ok = false;
  switch (s.type) {
    case ParamType::kBool: ok = v.is_boolean(); break;
    case ParamType::kInt: ok = v.is_number_integer() && in_bounds(s, v.get<double>()); break;
    case ParamType::kFloat: ok = v.is_number() && in_bounds(s, v.get<double>()); break;
    case ParamType::kEnum:
      ok = v.is_string();
      if (ok) {
        ok = false;
        for (const auto& i : s.enum_items) ok = ok || i == v.get<std::string>();
      }
      break;
    case ParamType::kString:
    case ParamType::kPath: ok = v.is_string(); break;
    case ParamType::kColor: ok = v.is_string() && sdk::parse_hex_color(v.get<std::string>()).has_value(); break;
    case ParamType::kIntRange:
    case ParamType::kFloatRange: {
      const bool ints = s.type == ParamType::kIntRange;
      ok = v.is_array() && v.size() == 2;
      for (std::size_t i = 0; ok && i < 2; ++i)
        ok = (ints ? v[i].is_number_integer() : v[i].is_number()) && in_bounds(s, v[i].get<double>());
      ok = ok && v[0].get<double>() <= v[1].get<double>();
      break;
    }
  }
  return ok ? Status::ok() : error(plugin_id, s, v);
}

Status check_schema(const std::string& plugin_id, const sdk::ParamSchema& schema) {
  std::set<std::string> seen;
  for (const auto& s : schema.specs()) {
    const std::string where = "plugin " + plugin_id + ": parameter '" + s.key + "'";
    if (!valid_key(s.key)) return Status::invalid(where + ": key must be non-empty and use only [a-z0-9_.]");
    if (!seen.insert(s.key).second) return Status::invalid(where + ": key declared twice");
    if (s.label.empty()) return Status::invalid(where + ": label is empty");
    if (s.min && s.max && *s.min > *s.max) return Status::invalid(where + ": min is greater than max");
    if (s.step < 0) return Status::invalid(where + ": step is negative");
    if (s.type == ParamType::kEnum && s.enum_items.empty()) return Status::invalid(where + ": enum has no items");
    Status d = check_value(plugin_id, s, s.default_value);
    if (!d) return Status::invalid(where + ": default is invalid: " + d.message());
  }
  return Status::ok();
}

sdk::Result<sdk::ParamValues> validate_params(const std::string& plugin_id, const sdk::ParamSchema& schema,
                                              const sdk::ParamValues& values) {
  if (!values.is_null() && !values.is_object())
    return Status::invalid("plugin " + plugin_id + ": parameters must be a JSON object, got " + values.dump());
  Json out = Json::object();
  if (values.is_object()) {
    for (auto it = values.begin(); it != values.end(); ++it) {
      const ParamSpec* spec = schema.find(it.key());
      if (!spec) {
        std::string keys;
        for (const auto& s : schema.specs()) keys += (keys.empty() ? "" : ", ") + s.key;
        return Status::invalid("plugin " + plugin_id + ": unknown parameter '" + it.key() + "' (known: " +
                               (keys.empty() ? "none" : keys) + ")");
      }
      Status st = check_value(plugin_id, *spec, it.value());
      if (!st) return st;
      out[it.key()] = it.value();
    }
  }
  for (const auto& s : schema.specs())
    if (!out.contains(s.key)) out[s.key] = s.default_value;
  return out;
}

sdk::Result<sdk::ParamValues> parse_assignments(const std::string& plugin_id, const sdk::ParamSchema& schema,
                                                const std::vector<std::string>& assignments) {
  Json out = Json::object();
  for (const auto& a : assignments) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::invalid("plugin " + plugin_id + ": '" + a + "' is not of the form key=value");
    const std::string key = a.substr(0, eq), text = a.substr(eq + 1);
    const ParamSpec* s = schema.find(key);
    if (!s) return validate_params(plugin_id, schema, Json{{key, text}}).status();  // the unknown-key message
    auto fail = [&] { return error(plugin_id, *s, Json(text)); };
    try {
      std::size_t used = 0;
      switch (s->type) {
        case ParamType::kBool:
          if (text == "true" || text == "1" || text == "on") out[key] = true;
          else if (text == "false" || text == "0" || text == "off") out[key] = false;
          else return fail();
          break;
        case ParamType::kInt: {
          long long v = std::stoll(text, &used);
          if (used != text.size()) return fail();
          out[key] = v;
          break;
        }
        case ParamType::kFloat: {
          double v = std::stod(text, &used);
          if (used != text.size()) return fail();
          out[key] = v;
          break;
        }
        case ParamType::kIntRange:
        case ParamType::kFloatRange: {
          auto comma = text.find(',');
          if (comma == std::string::npos) return fail();
          const std::string lo = text.substr(0, comma), hi = text.substr(comma + 1);
          std::size_t u1 = 0, u2 = 0;
          if (s->type == ParamType::kIntRange) {
            long long a1 = std::stoll(lo, &u1), a2 = std::stoll(hi, &u2);
            if (u1 != lo.size() || u2 != hi.size()) return fail();
            out[key] = Json::array({a1, a2});
          } else {
            double a1 = std::stod(lo, &u1), a2 = std::stod(hi, &u2);
            if (u1 != lo.size() || u2 != hi.size()) return fail();
            out[key] = Json::array({a1, a2});
          }
          break;
        }
        default: out[key] = text; break;
      }
    } catch (const std::exception&) {
      return fail();
    }
  }
  return out;
}

Json schema_to_json(const sdk::ParamSchema& schema) {
  Json arr = Json::array();
  for (const auto& s : schema.specs()) {
    Json j = {{"key", s.key},     {"type", sdk::to_string(s.type)}, {"label", s.label},
              {"help", s.help},   {"group", s.group},               {"default", s.default_value},
              {"step", s.step}};
    j["min"] = s.min ? Json(*s.min) : Json(nullptr);
    j["max"] = s.max ? Json(*s.max) : Json(nullptr);
    if (s.type == ParamType::kEnum) j["items"] = s.enum_items;
    Json flags = Json::array();
    if (s.flags & sdk::kParamAdvanced) flags.push_back("advanced");
    if (s.flags & sdk::kParamHidden) flags.push_back("hidden");
    if (s.flags & sdk::kParamReadOnly) flags.push_back("read_only");
    j["flags"] = flags;
    arr.push_back(std::move(j));
  }
  return arr;
}

sdk::Result<sdk::ParamValues> migrate_params(const sdk::PluginDescriptor& d, const StoredParams& stored) {
  if (stored.params_version > d.params_version)
    return Status::invalid("plugin " + d.id + ": stored parameters are version " +
                           std::to_string(stored.params_version) + ", newer than this plugin's version " +
                           std::to_string(d.params_version) + ": update the plugin");
  if (stored.params_version == 0)
    return Status::invalid("plugin " + d.id + ": stored parameters have version 0 (versions start at 1)");
  Json values = stored.values;
  for (std::uint32_t v = stored.params_version; v < d.params_version; ++v) {
    if (!d.migrate)
      return Status::invalid("plugin " + d.id + ": parameters are version " + std::to_string(v) +
                             " but the plugin has no migrate function to reach version " +
                             std::to_string(d.params_version));
    sdk::Result<sdk::ParamValues> next = d.migrate(v, values);
    if (!next) return Status::invalid("plugin " + d.id + ": migrating parameters from version " + std::to_string(v) +
                                      " failed: " + next.status().message());
    values = std::move(next).value();
  }
  return validate_params(d.id, d.schema, values);
}

}  // namespace kohl::core
