// The plugin contract: every plugin Kohl builds (build/plugins/) passes it, and so does a
// third party's (set KOHL_CONTRACT_PLUGIN_DIRS=dir1:dir2 to run it on other folders, as the
// out-of-tree SDK test does). A plugin that fails here is not shippable.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <regex>
#include <set>

#include "kohl/core/params.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/sdk/layouts.hpp"
#include "test_support.hpp"

using namespace kohl;

namespace {

std::vector<std::string> contract_dirs() {
  if (const char* env = std::getenv("KOHL_CONTRACT_PLUGIN_DIRS")) return core::split_path_list(env);
  return {test::plugin_dir().string()};
}

const core::PluginHost& host() {
  static core::PluginHost h;
  static bool loaded = false;
  if (!loaded) {
    h.load_dirs(contract_dirs());
    loaded = true;
  }
  return h;
}

using test::CancelAfter;

sdk::Sample test_face() {
  sdk::Sample s;
  s.id = "contract";
  s.image = cv::Mat(64, 64, CV_8UC3, cv::Scalar(90, 120, 170));
  cv::randu(s.image, cv::Scalar::all(0), cv::Scalar::all(255));
  sdk::Landmarks lm;
  lm.layout = sdk::kLayoutDlib68;
  for (int i = 0; i < 68; ++i) lm.points.emplace_back(10.0f + (i % 17) * 2.5f, 12.0f + (i / 17) * 9.0f);
  s.landmarks.push_back(lm);
  s.mask = sdk::RegionMask{sdk::kLabelMapMt14, cv::Mat(64, 64, CV_8UC1, cv::Scalar(1))};
  s.boxes.push_back({cv::Rect2f(8, 8, 48, 48), "face", 1.0f});
  return s;
}

}  // namespace

TEST_CASE("every plugin file loads; ids are unique", "[contract]") {
  const auto& records = host().records();
  REQUIRE_FALSE(records.empty());
  std::set<std::string> ids;
  for (const auto& r : records) {
    INFO(r.file << " " << r.id << ": " << r.reason);
    CHECK(r.status == core::PluginStatus::kLoaded);
    CHECK(ids.insert(r.id).second);
  }
}

TEST_CASE("descriptors are complete and schemas valid", "[contract]") {
  const std::regex semver(R"(\d+\.\d+\.\d+)");
  for (const auto& r : host().records()) {
    if (r.status != core::PluginStatus::kLoaded) continue;
    const auto& d = *r.descriptor;
    INFO("plugin " << d.id);
    CHECK_FALSE(d.name.empty());
    CHECK_FALSE(d.summary.empty());
    CHECK_FALSE(d.license_notes.empty());
    CHECK(std::regex_match(d.version, semver));
    CHECK(core::check_schema(d.id, d.schema).is_ok());
    auto defaults = core::validate_params(d.id, d.schema, sdk::Json::object());
    REQUIRE(defaults.is_ok());
    for (const auto& spec : d.schema.specs()) CHECK(core::check_value(d.id, spec, defaults.value()[spec.key]).is_ok());
  }
}

TEST_CASE("every plugin is created with its defaults and destroyed", "[contract]") {
  for (const auto& r : host().records()) {
    if (r.status != core::PluginStatus::kLoaded) continue;
    INFO("plugin " << r.id);
    auto obj = host().create(r.id, sdk::Json::object(), *r.kind);
    INFO(obj.status().message());
    REQUIRE(obj.is_ok());
    CHECK(obj.value() != nullptr);
    obj.value().reset();  // destroy() runs inside the plugin
    // A second object after the first is gone.
    CHECK(host().create(r.id, sdk::Json::object(), *r.kind).is_ok());
  }
}

TEST_CASE("augmenters honour cancellation and keep image size and annotations consistent", "[contract]") {
  for (const auto& r : host().records()) {
    if (r.status != core::PluginStatus::kLoaded || r.kind != sdk::PluginKind::kAugmenter) continue;
    INFO("plugin " << r.id);
    auto aug = host().create<sdk::IAugmenter>(r.id);
    REQUIRE(aug.is_ok());

    std::vector<sdk::Sample> batch(5, test_face());
    CancelAfter progress(2);
    std::mt19937_64 rng(11);
    auto st = aug.value()->apply_batch(batch, rng, progress);
    CHECK(st.code() == sdk::StatusCode::kCancelled);
    CHECK(progress.done() == 2);

    for (std::uint64_t seed = 0; seed < 8; ++seed) {
      auto s = test_face();
      std::mt19937_64 rng2(seed);
      REQUIRE(aug.value()->apply(s, rng2).is_ok());
      CHECK(s.image.type() == CV_8UC3);
      CHECK_FALSE(s.image.empty());
      REQUIRE(s.landmarks.size() == 1);
      CHECK(s.landmarks[0].points.size() == 68);
      REQUIRE(s.mask.has_value());
      CHECK(s.mask->labels.size() == s.image.size());
    }
  }
}
