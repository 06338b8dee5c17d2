// Project files: creation, identity, migrations, and every refusal leaving the file as it
// was. PRAGMA integrity_check is "ok" after every test that writes.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <SQLiteCpp/Database.h>

#include "kohl/core/plugin_host.hpp"
#include "kohl/core/project.hpp"
#include "kohl/core/version.hpp"
#include "test_support.hpp"

using namespace kohl;

TEST_CASE("a new project has WAL, foreign keys, identity and meta", "[project]") {
  test::ScratchDir dir("project");
  const auto path = (dir / "skin.kohl").string();
  auto p = core::Project::create(path, "Skin tone v1");
  REQUIRE(p.is_ok());
  auto info = p.value()->info();
  CHECK(info.name == "Skin tone v1");
  CHECK(info.schema_version == core::Project::current_schema_version());
  CHECK(info.kohl_version == std::string(core::kKohlVersion));
  CHECK(info.created.size() == 20);
  auto& db = p.value()->db();
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(db.execAndGet("PRAGMA foreign_keys").getInt() == 1);
  CHECK(db.execAndGet("PRAGMA application_id").getInt() == core::kProjectApplicationId);
  CHECK(p.value()->integrity_check() == "ok");
  p.value().reset();

  // No temporary file left behind; creating again refuses.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) files += e.path().extension() == ".kohl";
  CHECK(files == 1);
  CHECK(core::Project::create(path, "again").status().message().find("already exists") != std::string::npos);

  const auto before = test::read_file(path);
  auto ro = core::Project::open(path, core::Project::Mode::kReadOnly);
  REQUIRE(ro.is_ok());
  CHECK(ro.value()->info().name == "Skin tone v1");
  // Read-only on a writable file: this connection refuses writes, and closing it leaves no
  // PROJECT-wal / PROJECT-shm behind and the file as it was.
  CHECK_THROWS(ro.value()->db().exec("INSERT INTO meta(key, value) VALUES ('x', 'y')"));
  ro.value().reset();
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  CHECK_FALSE(std::filesystem::exists(path + "-shm"));
  CHECK(test::read_file(path) == before);
}

TEST_CASE("a file that is not SQLite is refused and unchanged", "[project]") {
  test::ScratchDir dir("project");
  const auto path = dir / "notes.kohl";
  { std::ofstream(path) << "just some text, not a database\n"; }
  const auto before = test::read_file(path);
  auto p = core::Project::open(path.string());
  REQUIRE_FALSE(p.is_ok());
  CHECK(p.status().message() == path.string() +
                                    ": not a Kohl project (expected an SQLite 3 database, the header does not match)");
  CHECK(test::read_file(path) == before);
  CHECK(core::Project::open((dir / "missing.kohl").string()).status().message().find("no such project file") !=
        std::string::npos);
}

TEST_CASE("an SQLite file of another application is refused and unchanged", "[project]") {
  test::ScratchDir dir("project");
  const auto path = dir / "other.db";
  { SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE); db.exec("CREATE TABLE t(x)"); }
  const auto before = test::read_file(path);
  auto p = core::Project::open(path.string());
  CHECK(p.status().message().find("an SQLite database but not a Kohl project") != std::string::npos);
  CHECK(test::read_file(path) == before);
}

TEST_CASE("a project from a newer schema is refused and unchanged", "[project]") {
  test::ScratchDir dir("project");
  const auto path = (dir / "future.kohl").string();
  REQUIRE(core::Project::create(path, "future").is_ok());
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 99");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  const auto before = test::read_file(path);
  for (auto mode : {core::Project::Mode::kReadWrite, core::Project::Mode::kReadOnly}) {
    auto p = core::Project::open(path, mode);
    REQUIRE_FALSE(p.is_ok());
    CHECK(p.status().message().find("written by a newer Kohl (schema version 99") != std::string::npos);
    CHECK(p.status().message().find("update Kohl") != std::string::npos);
  }
  CHECK(test::read_file(path) == before);
}

TEST_CASE("a read-only project is refused for writing, readable, and unchanged", "[project]") {
  test::ScratchDir dir("project");
  const auto path = (dir / "locked.kohl").string();
  REQUIRE(core::Project::create(path, "locked").is_ok());
  const auto before = test::read_file(path);
  REQUIRE(::chmod(path.c_str(), 0444) == 0);
  auto rw = core::Project::open(path, core::Project::Mode::kReadWrite);
  REQUIRE_FALSE(rw.is_ok());
  CHECK(rw.status().message() == path + ": the file is read-only; make it writable (chmod u+w) or open it read-only");
  auto ro = core::Project::open(path, core::Project::Mode::kReadOnly);
  REQUIRE(ro.is_ok());
  CHECK(ro.value()->info().name == "locked");
  CHECK(ro.value()->save_plugin_settings({"org.x.y", 1, sdk::Json::object()}).message().find("read-only") !=
        std::string::npos);
  ro.value().reset();
  CHECK(test::read_file(path) == before);
  ::chmod(path.c_str(), 0644);
}

TEST_CASE("frozen version-1 projects still open", "[project]") {
  // projects/fixtures/v1.sql is a dump of a project written by schema version 1.
  test::ScratchDir dir("project");
  const auto path = (dir / "v1.kohl").string();
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(test::read_file(test::source_dir() / "projects/fixtures/v1.sql"));
  }
  auto p = core::Project::open(path);
  REQUIRE(p.is_ok());
  CHECK(p.value()->info().name == "Fixture v1");
  CHECK(p.value()->info().schema_version == core::Project::current_schema_version());
  auto settings = p.value()->plugin_settings();
  REQUIRE(settings.size() == 1);
  CHECK(settings[0].plugin_id == "org.kohl.augment.flip");
  CHECK(settings[0].values["p"] == 0.25);
  CHECK(p.value()->integrity_check() == "ok");
}

TEST_CASE("frozen version-2 projects still open with their data", "[project]") {
  test::ScratchDir dir("project");
  const auto path = (dir / "v2.kohl").string();
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(test::read_file(test::source_dir() / "projects/fixtures/v2.sql"));
  }
  auto p = core::Project::open(path);
  REQUIRE(p.is_ok());
  CHECK(p.value()->info().schema_version == core::Project::current_schema_version());
  auto& db = p.value()->db();
  CHECK(db.execAndGet("SELECT COUNT(*) FROM images").getInt64() == 9);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM snapshot_images").getInt64() == 9);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM masks").getInt64() > 0);
  CHECK(p.value()->integrity_check() == "ok");
}

TEST_CASE("settings of a missing plugin are kept verbatim; present ones are migrated", "[project][plugin_host]") {
  test::ScratchDir dir("project");
  const auto path = (dir / "settings.kohl").string();
  {
    auto p = core::Project::create(path, "settings");
    REQUIRE(p.is_ok());
    REQUIRE(p.value()->save_plugin_settings({"org.kohl.test.migrating", 1, sdk::Json{{"strength", 30}}}));
    // A plugin this machine does not have, with a key order and spacing of its own.
    p.value()->db().exec(
        "INSERT INTO plugin_settings VALUES ('org.example.gone', 7, '{\"z\": 1,  \"a\": [1,2]}', '2020-01-01T00:00:00Z')");
  }
  auto row_of = [&](const std::string& id) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT params_version || '|' || params_json || '|' || updated FROM plugin_settings "
                            "WHERE plugin_id = ?");
    q.bind(1, id);
    return q.executeStep() ? q.getColumn(0).getString() : std::string("<none>");
  };
  const std::string gone_before = row_of("org.example.gone");

  core::PluginHost host;
  host.load_dirs({test::test_plugin_dir().string()});
  {
    auto p = core::Project::open(path);
    REQUIRE(p.is_ok());
    for (const auto& stored : p.value()->plugin_settings()) {
      auto r = host.resolve(stored);
      if (stored.plugin_id == "org.example.gone") {
        CHECK_FALSE(r.plugin_loaded);
        CHECK(r.values == stored.values);
      } else {
        REQUIRE(r.ok());
        CHECK(r.values["amount"] == Approx(0.30));
        CHECK(r.values["mode"] == "soft");
      }
      if (r.ok()) REQUIRE(p.value()->save_plugin_settings({stored.plugin_id, 3, r.values}));
    }
    CHECK(p.value()->integrity_check() == "ok");
  }
  CHECK(row_of("org.example.gone") == gone_before);
  CHECK(row_of("org.kohl.test.migrating").rfind("3|", 0) == 0);
}
