// The plugin host on real .so files: Kohl's plugins and one test plugin per bad case.
// Each bad case is reported by file and reason, and the host keeps the good plugins.
#include <catch2/catch.hpp>

#include "kohl/core/plugin_host.hpp"
#include "test_support.hpp"

using namespace kohl;

namespace {
const core::PluginRecord* record_for_file(const core::PluginHost& host, const std::string& file_name) {
  for (const auto& r : host.records())
    if (std::filesystem::path(r.file).filename() == file_name) return &r;
  return nullptr;
}

std::string reason_for(const core::PluginHost& host, const std::string& file_name) {
  const auto* r = record_for_file(host, file_name);
  if (!r) return "<no record for " + file_name + ">";
  return r->status == core::PluginStatus::kRejected ? r->reason : "<loaded>";
}

// Kohl's plugins first, then the test plugins, as the CLI would find them.
const core::PluginHost& shared_host() {
  static core::PluginHost host;
  static bool loaded = false;
  if (!loaded) {
    host.load_dirs({test::plugin_dir().string(), test::test_plugin_dir().string()});
    loaded = true;
  }
  return host;
}
}  // namespace

TEST_CASE("each bad plugin is rejected with its file and reason", "[plugin_host]") {
  const auto& host = shared_host();
  CHECK(reason_for(host, "bad_major.so").find("built against Kohl SDK 2.0.0, this Kohl has SDK 1.0.0 (major versions "
                                              "must match)") != std::string::npos);
  CHECK(reason_for(host, "newer_minor.so").find("built against Kohl SDK 1.1.0, newer than this Kohl's SDK 1.0.0") !=
        std::string::npos);
  CHECK(reason_for(host, "missing_entry.so") == "missing entry point 'kohl_register' (declare it with KOHL_PLUGIN)");
  CHECK(reason_for(host, "not_a_library.so") == "not a shared library (no ELF header)");
  CHECK(reason_for(host, "register_throws.so") ==
        "registration failed: register function threw: boom while registering");
  CHECK(reason_for(host, "duplicate_id.so").find("duplicate id 'org.kohl.augment.flip': already loaded from") !=
        std::string::npos);

  // A rejected handshake still tells what the plugin was built with.
  const auto* major = record_for_file(host, "bad_major.so");
  REQUIRE(major);
  CHECK(major->abi.find("SDK 2.0.0") != std::string::npos);
  CHECK(major->library == nullptr);  // never loaded
}

TEST_CASE("the host goes on with the good plugins", "[plugin_host]") {
  const auto& host = shared_host();
  const auto* flip = host.find("org.kohl.augment.flip");
  REQUIRE(flip);
  CHECK(std::filesystem::path(flip->file).filename() == "augment_basic.so");  // the first one loaded wins
  CHECK(flip->kind == sdk::PluginKind::kAugmenter);
  CHECK(flip->version == "1.0.0");
  CHECK(host.find("org.kohl.augment.brightness_contrast"));
  CHECK(host.find("org.kohl.test.migrating"));
  CHECK(host.find("org.kohl.test.create_fails"));  // registers fine; fails at create()
  CHECK_FALSE(host.find("org.kohl.test.bad_major"));
}

TEST_CASE("a failing create is reported with the plugin's message", "[plugin_host]") {
  const auto& host = shared_host();
  auto r = host.create<sdk::IAugmenter>("org.kohl.test.create_fails");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() == "plugin org.kohl.test.create_fails: create failed: model file weights.bin not found");
  // ... and the host still makes other plugins.
  CHECK(host.create<sdk::IAugmenter>("org.kohl.augment.flip").is_ok());
}

TEST_CASE("create validates parameters and checks the kind", "[plugin_host]") {
  const auto& host = shared_host();
  auto bad = host.create<sdk::IAugmenter>("org.kohl.augment.flip", sdk::Json{{"p", 2.0}});
  CHECK(bad.status().message() == "plugin org.kohl.augment.flip: parameter 'p': expected a number in [0, 1], got 2.0");
  auto missing = host.create<sdk::IAugmenter>("org.example.nothing");
  CHECK(missing.status().message().find("no plugin with id 'org.example.nothing'") != std::string::npos);
  auto wrong_kind = host.create(std::string("org.kohl.augment.flip"), sdk::Json::object(), sdk::PluginKind::kBackbone);
  CHECK(wrong_kind.status().message() == "plugin org.kohl.augment.flip is a augmenter, not a backbone");
}

TEST_CASE("plugin objects keep their library; loading twice reuses it", "[plugin_host]") {
  std::shared_ptr<sdk::IAugmenter> aug;
  {
    core::PluginHost host;
    host.load_dirs({test::plugin_dir().string()});
    auto r = host.create<sdk::IAugmenter>("org.kohl.augment.flip", sdk::Json{{"p", 1.0}});
    REQUIRE(r.is_ok());
    aug = std::move(r).value();
  }
  // The host is gone; the object still works because it holds its library.
  sdk::Sample s;
  s.image = cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3));
  std::mt19937_64 rng(1);
  CHECK(aug->apply(s, rng).is_ok());

  core::PluginHost a, b;
  a.load_file((test::plugin_dir() / "augment_basic.so").string());
  b.load_file((test::plugin_dir() / "augment_basic.so").string());
  REQUIRE(a.find("org.kohl.augment.flip"));
  CHECK(a.find("org.kohl.augment.flip")->library == b.find("org.kohl.augment.flip")->library);
}

TEST_CASE("a folder named twice is searched once (no duplicate-id rejections)", "[plugin_host]") {
  core::PluginHost host;
  const std::string dir = test::plugin_dir().string();
  host.load_dirs({dir, dir + "/.", dir + "/../plugins"});
  REQUIRE_FALSE(host.records().empty());
  for (const auto& r : host.records()) CHECK(r.status == core::PluginStatus::kLoaded);
  REQUIRE(host.find("org.kohl.augment.flip"));
}

TEST_CASE("missing folders and files are handled", "[plugin_host]") {
  core::PluginHost host;
  host.load_dirs({"/nonexistent/kohl/plugins"});
  CHECK(host.records().empty());
  host.load_file("/nonexistent/kohl/plugin.so");
  REQUIRE(host.records().size() == 1);
  CHECK(host.records()[0].reason.find("cannot resolve path") != std::string::npos);
}

TEST_CASE("default search folders: ../plugins next to the binary, then KOHL_PLUGIN_PATH", "[plugin_host]") {
  ::setenv("KOHL_PLUGIN_PATH", "/tmp/a:/tmp/b", 1);
  auto dirs = core::PluginHost::default_search_dirs();
  ::unsetenv("KOHL_PLUGIN_PATH");
  REQUIRE(dirs.size() == 3);
  CHECK(std::filesystem::path(dirs[0]).filename() == "plugins");
  CHECK(dirs[1] == "/tmp/a");
  CHECK(dirs[2] == "/tmp/b");
}
