#include "kohl/core/project.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "kohl/core/version.hpp"

namespace kohl::core {

namespace fs = std::filesystem;
using sdk::Status;

namespace {

// Ordered schema migrations: kMigrations[i] takes a project from user_version i to i+1.
// Append only; never edit a migration that has shipped (frozen projects in
// projects/fixtures/ are opened by the tests to keep that promise).
// Persisted: every table and column name below.
const std::vector<const char*> kMigrations = {
    // 0 -> 1: the project's identity and plugin settings.
    R"sql(
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,   -- persisted keys: name, kohl_version, created
        value TEXT NOT NULL
      );
      CREATE TABLE plugin_settings (
        plugin_id      TEXT PRIMARY KEY,   -- reverse-DNS plugin id
        params_version INTEGER NOT NULL CHECK (params_version >= 1),
        params_json    TEXT NOT NULL,      -- JSON object, stored verbatim
        updated        TEXT NOT NULL
      );
    )sql",
};

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The first 16 bytes of every SQLite 3 database.
bool has_sqlite_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  return in.gcount() == 16 && std::memcmp(header, "SQLite format 3\0", 16) == 0;
}

bool is_read_only(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  // No write bit at all means "read-only" even for root, who would pass access(W_OK).
  if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) return true;
  return ::access(path.c_str(), W_OK) != 0;
}

void apply_pragmas(SQLite::Database& db) {
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
}

Status migrate(SQLite::Database& db, int from) {
  for (int v = from; v < static_cast<int>(kMigrations.size()); ++v) {
    SQLite::Transaction tx(db);
    db.exec(kMigrations[static_cast<std::size_t>(v)]);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
  return Status::ok();
}

}  // namespace

int Project::current_schema_version() { return static_cast<int>(kMigrations.size()); }

Project::Project(std::string path, std::unique_ptr<SQLite::Database> db, Mode mode)
    : path_(std::move(path)), db_(std::move(db)), mode_(mode) {}

sdk::Result<std::unique_ptr<Project>> Project::create(const std::string& path, const std::string& name) {
  std::error_code ec;
  if (name.empty()) return Status::invalid("project name is empty: give one with --name");
  if (fs::exists(path, ec)) return Status::invalid(path + ": already exists (choose another path or open it)");
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) return Status::io_error(path + ": folder " + dir.string() + " does not exist");
  const std::string tmp = path + ".creating-" + std::to_string(::getpid());
  try {
    {
      SQLite::Database db(tmp, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      db.exec("PRAGMA application_id = " + std::to_string(kProjectApplicationId));
      db.exec("PRAGMA journal_mode = WAL");
      apply_pragmas(db);
      migrate(db, 0);
      SQLite::Transaction tx(db);
      SQLite::Statement ins(db, "INSERT INTO meta(key, value) VALUES (?, ?)");
      for (auto [k, v] : {std::pair<const char*, std::string>{"name", name}, {"kohl_version", kKohlVersion},
                          {"created", now_iso8601()}}) {
        ins.bind(1, k);
        ins.bind(2, v);
        ins.exec();
        ins.reset();
      }
      tx.commit();
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    fs::remove(tmp + "-wal", ec);
    fs::remove(tmp + "-shm", ec);
    fs::rename(tmp, path);
  } catch (const std::exception& e) {
    fs::remove(tmp, ec);
    fs::remove(tmp + "-wal", ec);
    fs::remove(tmp + "-shm", ec);
    return Status::io_error(path + ": cannot create project: " + e.what());
  }
  return open(path, Mode::kReadWrite);
}

sdk::Result<std::unique_ptr<Project>> Project::open(const std::string& path, Mode mode) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::io_error(path + ": no such project file (create one with `kohl project new`)");
  if (!fs::is_regular_file(path, ec)) return Status::invalid(path + ": not a file");
  if (!has_sqlite_header(path))
    return Status::invalid(path + ": not a Kohl project (expected an SQLite 3 database, the header does not match)");

  // Look before touching: read identity and schema version without writing anything.
  int user_version = 0;
  try {
    SQLite::Database ro(path, SQLite::OPEN_READONLY);
    const int app_id = ro.execAndGet("PRAGMA application_id").getInt();
    user_version = ro.execAndGet("PRAGMA user_version").getInt();
    if (app_id != kProjectApplicationId)
      return Status::invalid(path + ": an SQLite database but not a Kohl project (application_id is " +
                             std::to_string(app_id) + ", expected " + std::to_string(kProjectApplicationId) + ")");
  } catch (const std::exception& e) {
    return Status::invalid(path + ": cannot read project: " + e.what());
  }
  if (user_version > current_schema_version())
    return Status::invalid(path + ": written by a newer Kohl (schema version " + std::to_string(user_version) +
                           "; this Kohl " + kKohlVersion + " reads up to " +
                           std::to_string(current_schema_version()) + "): update Kohl to open it");

  try {
    if (mode == Mode::kReadOnly) {
      auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY);
      db->exec("PRAGMA busy_timeout = 5000");
      if (user_version < current_schema_version())
        return Status::invalid(path + ": schema version " + std::to_string(user_version) +
                               " is older than this Kohl's " + std::to_string(current_schema_version()) +
                               "; open it read-write once to migrate it");
      return std::unique_ptr<Project>(new Project(path, std::move(db), mode));
    }
    if (is_read_only(path))
      return Status::io_error(path + ": the file is read-only; make it writable (chmod u+w) or open it read-only");
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
    db->exec("PRAGMA journal_mode = WAL");
    apply_pragmas(*db);
    if (Status s = migrate(*db, user_version); !s) return s;
    return std::unique_ptr<Project>(new Project(path, std::move(db), mode));
  } catch (const std::exception& e) {
    return Status::io_error(path + ": cannot open project: " + e.what());
  }
}

ProjectInfo Project::info() const {
  ProjectInfo i;
  i.path = path_;
  i.schema_version = db_->execAndGet("PRAGMA user_version").getInt();
  SQLite::Statement q(*db_, "SELECT key, value FROM meta");
  while (q.executeStep()) {
    const std::string k = q.getColumn(0).getString();
    if (k == "name") i.name = q.getColumn(1).getString();
    else if (k == "kohl_version") i.kohl_version = q.getColumn(1).getString();
    else if (k == "created") i.created = q.getColumn(1).getString();
  }
  return i;
}

std::vector<StoredParams> Project::plugin_settings() const {
  std::vector<StoredParams> out;
  SQLite::Statement q(*db_, "SELECT plugin_id, params_version, params_json FROM plugin_settings ORDER BY plugin_id");
  while (q.executeStep()) {
    StoredParams p;
    p.plugin_id = q.getColumn(0).getString();
    p.params_version = static_cast<std::uint32_t>(q.getColumn(1).getInt64());
    p.values = sdk::Json::parse(q.getColumn(2).getString(), nullptr, /*allow_exceptions=*/false);
    out.push_back(std::move(p));
  }
  return out;
}

Status Project::save_plugin_settings(const StoredParams& p) {
  if (mode_ == Mode::kReadOnly) return Status::invalid(path_ + ": opened read-only");
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement q(*db_,
                        "INSERT INTO plugin_settings(plugin_id, params_version, params_json, updated) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT(plugin_id) DO UPDATE SET "
                        "params_version = excluded.params_version, params_json = excluded.params_json, "
                        "updated = excluded.updated");
    q.bind(1, p.plugin_id);
    q.bind(2, static_cast<std::int64_t>(p.params_version));
    q.bind(3, p.values.dump());
    q.bind(4, now_iso8601());
    q.exec();
    tx.commit();
  } catch (const std::exception& e) {
    return Status::io_error(path_ + ": cannot save settings of " + p.plugin_id + ": " + e.what());
  }
  return Status::ok();
}

std::string Project::integrity_check() const {
  return db_->execAndGet("PRAGMA integrity_check").getString();
}

}  // namespace kohl::core
