// Project files (*.kohl): one SQLite database per project, opened through SQLiteCpp.
// WAL journal, foreign keys on, PRAGMA application_id = 'KOHL', PRAGMA user_version =
// schema version, ordered migrations (project.cpp: kMigrations). Every edit is one
// transaction. Opening never changes a file it then refuses (not SQLite, not Kohl, newer
// schema, read-only).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "kohl/core/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::core {

// The current time as ISO 8601 UTC ("2026-12-04T19:54:08Z"), the form timestamps take in projects.
std::string now_iso8601();

// 'KOHL' as PRAGMA application_id: tells a Kohl project from any other SQLite file.
constexpr std::int32_t kProjectApplicationId = 0x4B4F484C;

struct ProjectInfo {
  std::string path;
  std::string name;
  std::string kohl_version;  // the Kohl that created the project
  std::string created;       // ISO 8601 UTC
  int schema_version = 0;
};

class Project {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  // The schema this Kohl writes; files up to it are migrated on a read-write open.
  static int current_schema_version();

  // Creates a new project file; fails when `path` exists. The file appears complete or
  // not at all (built beside it, then renamed).
  static sdk::Result<std::unique_ptr<Project>> create(const std::string& path, const std::string& name);
  // Opens an existing project. kReadWrite migrates an older schema (each step one
  // transaction); kReadOnly never writes.
  static sdk::Result<std::unique_ptr<Project>> open(const std::string& path, Mode mode = Mode::kReadWrite);

  ProjectInfo info() const;
  const std::string& path() const { return path_; }
  SQLite::Database& db() { return *db_; }

  // Plugin settings saved in the project, as stored (versions not migrated).
  std::vector<StoredParams> plugin_settings() const;
  // Saves (insert or replace) one plugin's settings.
  sdk::Status save_plugin_settings(const StoredParams& params);

  // "ok" when PRAGMA integrity_check finds nothing wrong; otherwise its first message.
  std::string integrity_check() const;

 private:
  Project(std::string path, std::unique_ptr<SQLite::Database> db, Mode mode);
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  Mode mode_;
};

}  // namespace kohl::core
