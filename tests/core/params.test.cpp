// Parameter validation: type and range errors name the plugin, the key and what was
// expected; defaults are filled; CLI assignments are typed by the schema; migrations run
// one step at a time.
#include <catch2/catch.hpp>

#include "kohl/core/params.hpp"

using namespace kohl;
using sdk::Json;

namespace {
sdk::ParamSchema sample_schema() {
  sdk::ParamSchema s;
  s.add_float("p", "Probability", 0.5, 0.0, 1.0);
  s.add_int("size", "Size", 128, 16, 1024);
  s.add_bool("gloss", "Gloss", false);
  s.add_enum("finish", "Finish", {"matte", "satin", "gloss"}, "matte");
  s.add_string("note", "Note", "");
  s.add_path("model", "Model file", "");
  s.add_color("lip", "Lip colour", "#b03050");
  s.add_int_range("kernel", "Kernel", 3, 7, 1, 31);
  s.add_float_range("brightness", "Brightness", -0.1, 0.1, -1.0, 1.0);
  return s;
}
}  // namespace

TEST_CASE("defaults are filled and valid values kept", "[params]") {
  auto s = sample_schema();
  REQUIRE(core::check_schema("org.test.p", s).is_ok());
  auto r = core::validate_params("org.test.p", s, Json{{"p", 0.25}, {"lip", "#FF00aa"}});
  REQUIRE(r.is_ok());
  CHECK(r.value()["p"] == 0.25);
  CHECK(r.value()["size"] == 128);
  CHECK(r.value()["finish"] == "matte");
  CHECK(r.value()["kernel"] == Json::array({3, 7}));
  CHECK(r.value()["lip"] == "#FF00aa");
  CHECK(r.value().size() == s.size());
  CHECK(core::validate_params("org.test.p", s, Json()).is_ok());  // null = all defaults
}

TEST_CASE("errors name the plugin, the key and what was expected", "[params]") {
  auto s = sample_schema();
  auto msg = [&](const Json& v) { return core::validate_params("org.test.p", s, v).status().message(); };
  CHECK(msg({{"p", 1.5}}) == "plugin org.test.p: parameter 'p': expected a number in [0, 1], got 1.5");
  CHECK(msg({{"size", 12.5}}) == "plugin org.test.p: parameter 'size': expected an integer in [16, 1024], got 12.5");
  CHECK(msg({{"gloss", "yes"}}) == "plugin org.test.p: parameter 'gloss': expected true or false, got \"yes\"");
  CHECK(msg({{"finish", "shiny"}}) ==
        "plugin org.test.p: parameter 'finish': expected one of: matte, satin, gloss, got \"shiny\"");
  CHECK(msg({{"lip", "red"}}).find("expected a colour as \"#rrggbb\"") != std::string::npos);
  CHECK(msg({{"kernel", {9, 3}}}).find("lo <= hi") != std::string::npos);
  CHECK(msg({{"brightness", {-2.0, 0.0}}}).find("in [-1, 1]") != std::string::npos);
  CHECK(msg({{"nope", 1}}) == "plugin org.test.p: unknown parameter 'nope' (known: p, size, gloss, finish, note, "
                              "model, lip, kernel, brightness)");
  CHECK(msg(Json::array({1, 2})).find("must be a JSON object") != std::string::npos);
}

TEST_CASE("CLI assignments are typed by the schema", "[params]") {
  auto s = sample_schema();
  auto r = core::parse_assignments("org.test.p", s,
                                   {"p=0.75", "size=256", "gloss=true", "finish=satin", "lip=#102030", "kernel=1,5",
                                    "brightness=-0.2,0.3", "note=hello world"});
  REQUIRE(r.is_ok());
  CHECK(r.value()["p"] == 0.75);
  CHECK(r.value()["size"] == 256);
  CHECK(r.value()["gloss"] == true);
  CHECK(r.value()["kernel"] == Json::array({1, 5}));
  CHECK(r.value()["brightness"] == Json::array({-0.2, 0.3}));
  CHECK(core::validate_params("org.test.p", s, r.value()).is_ok());

  CHECK(core::parse_assignments("org.test.p", s, {"size=12x"}).status().message().find("parameter 'size'") !=
        std::string::npos);
  CHECK(core::parse_assignments("org.test.p", s, {"justtext"}).status().message().find("key=value") !=
        std::string::npos);
  CHECK(core::parse_assignments("org.test.p", s, {"typo=1"}).status().message().find("unknown parameter 'typo'") !=
        std::string::npos);
}

TEST_CASE("malformed schemas are caught", "[params]") {
  sdk::ParamSchema dup;
  dup.add_float("a", "A", 0.0);
  dup.add_float("a", "A again", 0.0);
  CHECK(core::check_schema("x.y", dup).message().find("declared twice") != std::string::npos);

  sdk::ParamSchema bad_default;
  bad_default.add_float("a", "A", 2.0, 0.0, 1.0);
  CHECK(core::check_schema("x.y", bad_default).message().find("default is invalid") != std::string::npos);

  sdk::ParamSchema bad_key;
  bad_key.add_bool("Bad Key", "B", true);
  CHECK(core::check_schema("x.y", bad_key).message().find("[a-z0-9_.]") != std::string::npos);

  sdk::ParamSchema no_items;
  no_items.add_enum("e", "E", {}, "x");
  CHECK_FALSE(core::check_schema("x.y", no_items).is_ok());

  sdk::ParamSchema inverted;
  inverted.add_int("i", "I", 0, 5, 1);
  CHECK(core::check_schema("x.y", inverted).message().find("min is greater than max") != std::string::npos);
}

TEST_CASE("schema JSON carries everything the GUI and describe need", "[params]") {
  auto j = core::schema_to_json(sample_schema());
  REQUIRE(j.size() == 9);
  CHECK(j[0]["key"] == "p");
  CHECK(j[0]["type"] == "float");
  CHECK(j[0]["min"] == 0.0);
  CHECK(j[0]["max"] == 1.0);
  CHECK(j[3]["items"] == Json::array({"matte", "satin", "gloss"}));
  CHECK(j[4]["min"].is_null());
}

namespace {
sdk::Result<sdk::ParamValues> step_migrate(std::uint32_t from, const sdk::ParamValues& old) {
  sdk::ParamValues v = old;
  if (from == 1) {
    v["amount"] = v["strength"];
    v.erase("strength");
  } else if (from == 2) {
    v["amount"] = v["amount"].get<double>() / 100.0;
  } else {
    return sdk::Status::invalid("unknown version");
  }
  v["trail"] = v.value("trail", std::string()) + std::to_string(from);
  return v;
}
}  // namespace

TEST_CASE("stored parameters are upgraded one version at a time", "[params]") {
  sdk::PluginDescriptor d;
  d.id = "org.test.migrate";
  d.params_version = 3;
  d.migrate = &step_migrate;
  d.schema.add_float("amount", "Amount", 0.5, 0.0, 1.0);
  d.schema.add_string("trail", "Steps taken", "");

  auto v1 = core::migrate_params(d, {"org.test.migrate", 1, Json{{"strength", 40}}});
  REQUIRE(v1.is_ok());
  CHECK(v1.value()["amount"] == Approx(0.4));
  CHECK(v1.value()["trail"] == "12");  // 1->2 then 2->3, in order

  auto v2 = core::migrate_params(d, {"org.test.migrate", 2, Json{{"amount", 80}}});
  REQUIRE(v2.is_ok());
  CHECK(v2.value()["trail"] == "2");

  auto future = core::migrate_params(d, {"org.test.migrate", 4, Json::object()});
  CHECK(future.status().message().find("newer than this plugin's version 3") != std::string::npos);

  d.migrate = nullptr;
  CHECK(core::migrate_params(d, {"org.test.migrate", 1, Json{{"strength", 1}}}).status().message().find(
            "no migrate function") != std::string::npos);
}
