// Parameter schemas and values. Parameters are data, not code: a plugin declares a
// ParamSchema; the host validates values against it, fills defaults, builds the GUI's
// property grid, the CLI's `--set key=value` and `kohl plugins describe` from it.
// Values travel as a JSON object (key -> value) and are stored in projects with the
// plugin's params_version. Persisted: the type names and value encodings below.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace kohl::sdk {

using Json = nlohmann::json;
// A JSON object: parameter key -> value. Encodings: bool, int (integer), float (number),
// enum (one of the items, a string), string, path (string), color ("#rrggbb"),
// int_range / float_range ([lo, hi] with lo <= hi).
using ParamValues = Json;

enum class ParamType : std::uint32_t {
  kBool = 0,
  kInt = 1,
  kFloat = 2,
  kEnum = 3,
  kString = 4,
  kPath = 5,
  kColor = 6,
  kIntRange = 7,
  kFloatRange = 8,
};

// Persisted names of the types ("float", "int_range", ...).
inline const char* to_string(ParamType t) {
  switch (t) {
    case ParamType::kBool: return "bool";
    case ParamType::kInt: return "int";
    case ParamType::kFloat: return "float";
    case ParamType::kEnum: return "enum";
    case ParamType::kString: return "string";
    case ParamType::kPath: return "path";
    case ParamType::kColor: return "color";
    case ParamType::kIntRange: return "int_range";
    case ParamType::kFloatRange: return "float_range";
  }
  return "unknown";
}

enum ParamFlags : std::uint32_t {
  kParamNone = 0,
  kParamAdvanced = 1u << 0,  // shown under "Advanced" in the GUI
  kParamHidden = 1u << 1,    // not shown in the GUI; still settable from the CLI
  kParamReadOnly = 1u << 2,  // shown, not editable (e.g. a derived value)
};

struct ParamSpec {
  std::string key;    // persisted; renamed only through the plugin's migrate function
  ParamType type = ParamType::kFloat;
  std::string label;  // what the GUI shows
  std::string help;   // one sentence: what it does, in which unit
  std::string group;  // GUI group ("Geometry", "Colour", ...)
  Json default_value;
  std::optional<double> min;  // numeric and range types; inclusive
  std::optional<double> max;
  double step = 0.0;          // GUI step; 0 = free
  std::vector<std::string> enum_items;  // kEnum only
  std::uint32_t flags = kParamNone;
};

// A plugin's parameters, built fluently:
//   ParamSchema s;
//   s.add_float("p", "Probability", 0.5, 0.0, 1.0).step(0.05).group("Geometry")
//    .help("Chance that a sample is flipped");
class ParamSchema {
 public:
  // Each add_* returns a handle that edits the spec just added.
  class Handle {
   public:
    Handle(ParamSchema& schema, std::size_t index) : schema_(schema), index_(index) {}
    Handle& label(std::string v) { spec().label = std::move(v); return *this; }
    Handle& help(std::string v) { spec().help = std::move(v); return *this; }
    Handle& group(std::string v) { spec().group = std::move(v); return *this; }
    Handle& step(double v) { spec().step = v; return *this; }
    Handle& flags(std::uint32_t v) { spec().flags = v; return *this; }
    ParamSpec& spec() { return schema_.specs_[index_]; }

   private:
    ParamSchema& schema_;
    std::size_t index_;
  };

  Handle add(ParamSpec spec) {
    specs_.push_back(std::move(spec));
    return Handle(*this, specs_.size() - 1);
  }
  Handle add_bool(std::string key, std::string label, bool def) {
    return add(make(std::move(key), ParamType::kBool, std::move(label), def));
  }
  Handle add_int(std::string key, std::string label, std::int64_t def,
                 std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt) {
    auto s = make(std::move(key), ParamType::kInt, std::move(label), def);
    s.min = min;
    s.max = max;
    return add(std::move(s));
  }
  Handle add_float(std::string key, std::string label, double def,
                   std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt) {
    auto s = make(std::move(key), ParamType::kFloat, std::move(label), def);
    s.min = min;
    s.max = max;
    return add(std::move(s));
  }
  Handle add_enum(std::string key, std::string label, std::vector<std::string> items, std::string def) {
    auto s = make(std::move(key), ParamType::kEnum, std::move(label), std::move(def));
    s.enum_items = std::move(items);
    return add(std::move(s));
  }
  Handle add_string(std::string key, std::string label, std::string def) {
    return add(make(std::move(key), ParamType::kString, std::move(label), std::move(def)));
  }
  Handle add_path(std::string key, std::string label, std::string def) {
    return add(make(std::move(key), ParamType::kPath, std::move(label), std::move(def)));
  }
  Handle add_color(std::string key, std::string label, std::string def_hex) {
    return add(make(std::move(key), ParamType::kColor, std::move(label), std::move(def_hex)));
  }
  Handle add_int_range(std::string key, std::string label, std::int64_t lo, std::int64_t hi,
                       std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt) {
    auto s = make(std::move(key), ParamType::kIntRange, std::move(label), Json::array({lo, hi}));
    s.min = min;
    s.max = max;
    return add(std::move(s));
  }
  Handle add_float_range(std::string key, std::string label, double lo, double hi,
                         std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt) {
    auto s = make(std::move(key), ParamType::kFloatRange, std::move(label), Json::array({lo, hi}));
    s.min = min;
    s.max = max;
    return add(std::move(s));
  }

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const ParamSpec* find(const std::string& key) const {
    for (const auto& s : specs_)
      if (s.key == key) return &s;
    return nullptr;
  }
  bool empty() const { return specs_.empty(); }
  std::size_t size() const { return specs_.size(); }

 private:
  static ParamSpec make(std::string key, ParamType type, std::string label, Json def) {
    ParamSpec s;
    s.key = std::move(key);
    s.type = type;
    s.label = std::move(label);
    s.default_value = std::move(def);
    return s;
  }
  std::vector<ParamSpec> specs_;
};

// An sRGB colour as stored in parameters ("#rrggbb").
struct Rgb8 {
  std::uint8_t r = 0, g = 0, b = 0;
};

// Parses "#rrggbb" (case-insensitive); nullopt when malformed.
inline std::optional<Rgb8> parse_hex_color(const std::string& s) {
  if (s.size() != 7 || s[0] != '#') return std::nullopt;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  int v[6];
  for (int i = 0; i < 6; ++i) {
    v[i] = nib(s[static_cast<std::size_t>(i) + 1]);
    if (v[i] < 0) return std::nullopt;
  }
  return Rgb8{static_cast<std::uint8_t>(v[0] * 16 + v[1]), static_cast<std::uint8_t>(v[2] * 16 + v[3]),
              static_cast<std::uint8_t>(v[4] * 16 + v[5])};
}

// Typed reads of validated values. The host fills every key before create() is called,
// so a plugin reads its own keys without checks; a missing key falls back to `fallback`.
inline double param_float(const ParamValues& v, const char* key, double fallback = 0.0) {
  auto it = v.find(key);
  return (it != v.end() && it->is_number()) ? it->get<double>() : fallback;
}
inline std::int64_t param_int(const ParamValues& v, const char* key, std::int64_t fallback = 0) {
  auto it = v.find(key);
  return (it != v.end() && it->is_number_integer()) ? it->get<std::int64_t>() : fallback;
}
inline bool param_bool(const ParamValues& v, const char* key, bool fallback = false) {
  auto it = v.find(key);
  return (it != v.end() && it->is_boolean()) ? it->get<bool>() : fallback;
}
inline std::string param_string(const ParamValues& v, const char* key, std::string fallback = {}) {
  auto it = v.find(key);
  return (it != v.end() && it->is_string()) ? it->get<std::string>() : fallback;
}
inline std::pair<double, double> param_range(const ParamValues& v, const char* key,
                                             std::pair<double, double> fallback = {0.0, 0.0}) {
  auto it = v.find(key);
  if (it == v.end() || !it->is_array() || it->size() != 2) return fallback;
  return {(*it)[0].get<double>(), (*it)[1].get<double>()};
}

}  // namespace kohl::sdk
