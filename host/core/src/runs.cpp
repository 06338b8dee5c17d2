// Training runs in the project file (see runs.hpp).
#include "kohl/core/runs.hpp"

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include "kohl/core/image_probe.hpp"

namespace kohl::core {

namespace fs = std::filesystem;
using sdk::Json;
using sdk::Status;

namespace {
RunInfo run_from_row(SQLite::Statement& q) {
  RunInfo r;
  r.id = q.getColumn(0).getInt64();
  r.name = q.getColumn(1).getString();
  r.created = q.getColumn(2).getString();
  r.finished = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
  r.status = q.getColumn(4).getString();
  r.task = q.getColumn(5).getString();
  r.snapshot = q.getColumn(6).getString();
  r.config = Json::parse(q.getColumn(7).getString(), nullptr, false);
  r.environment = Json::parse(q.getColumn(8).getString(), nullptr, false);
  r.message = q.getColumn(9).getString();
  return r;
}
constexpr const char* kRunColumns =
    "SELECT r.id, r.name, r.created, r.finished, r.status, r.task, s.name, r.config, r.environment, r.message "
    "FROM runs r JOIN snapshots s ON s.id = r.snapshot_id ";

std::optional<std::int64_t> run_id(SQLite::Database& db, const std::string& name) {
  SQLite::Statement q(db, "SELECT id FROM runs WHERE name = ?");
  q.bind(1, name);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getInt64();
}
Status no_run(const std::string& name) {
  return Status::invalid("no run '" + name + "' in the project (see `kohl runs ls`)");
}
}  // namespace

std::string RunStore::runs_dir() const { return project_.path() + ".runs"; }

sdk::Result<RunInfo> RunStore::create_run(const std::string& task, const std::string& snapshot, const Json& config,
                                          const Json& environment) {
  auto& db = project_.db();
  try {
    SQLite::Statement s(db, "SELECT id FROM snapshots WHERE name = ?");
    s.bind(1, snapshot);
    if (!s.executeStep())
      return Status::invalid("no snapshot '" + snapshot + "' (make one with `kohl data snapshot PROJECT NAME`)");
    const std::int64_t snapshot_id = s.getColumn(0).getInt64();
    SQLite::Transaction tx(db);
    const std::int64_t n = db.execAndGet("SELECT COALESCE(MAX(id), 0) + 1 FROM runs").getInt64();
    SQLite::Statement ins(db, "INSERT INTO runs(name, created, status, task, snapshot_id, config, environment) "
                              "VALUES (?, ?, 'running', ?, ?, ?, ?)");
    const std::string name = "run-" + std::to_string(n);
    ins.bind(1, name);
    ins.bind(2, now_iso8601());
    ins.bind(3, task);
    ins.bind(4, snapshot_id);
    ins.bind(5, config.dump());
    ins.bind(6, environment.dump());
    ins.exec();
    tx.commit();
    return *run(name);
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": cannot create a run: " + e.what());
  }
}

Status RunStore::set_status(const std::string& run, const std::string& status, const std::string& message) {
  try {
    SQLite::Statement q(project_.db(), "UPDATE runs SET status = ?, message = ?, finished = CASE WHEN ? = 'running' "
                                       "THEN NULL ELSE ? END WHERE name = ?");
    q.bind(1, status);
    q.bind(2, message);
    q.bind(3, status);
    q.bind(4, now_iso8601());
    q.bind(5, run);
    if (q.exec() == 0) return no_run(run);
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": cannot update run " + run + ": " + e.what());
  }
  return Status::ok();
}

Status RunStore::set_config(const std::string& run, const Json& config) {
  try {
    SQLite::Statement q(project_.db(), "UPDATE runs SET config = ? WHERE name = ?");
    q.bind(1, config.dump());
    q.bind(2, run);
    if (q.exec() == 0) return no_run(run);
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": cannot update run " + run + ": " + e.what());
  }
  return Status::ok();
}

Status RunStore::log_metrics(const std::string& run, int epoch, const std::string& split,
                             const std::map<std::string, double>& values) {
  auto& db = project_.db();
  try {
    const auto id = run_id(db, run);
    if (!id) return no_run(run);
    SQLite::Transaction tx(db);
    SQLite::Statement q(db, "INSERT OR REPLACE INTO run_metrics(run_id, epoch, split, name, value) VALUES (?,?,?,?,?)");
    for (const auto& [name, value] : values) {
      q.bind(1, *id);
      q.bind(2, epoch);
      q.bind(3, split);
      q.bind(4, name);
      q.bind(5, value);
      q.exec();
      q.reset();
    }
    tx.commit();
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": cannot log metrics of " + run + ": " + e.what());
  }
  return Status::ok();
}

sdk::Result<CheckpointInfo> RunStore::add_checkpoint(const std::string& run, int epoch, const std::string& relative) {
  auto& db = project_.db();
  const std::string abs = (fs::path(runs_dir()) / relative).string();
  std::vector<std::uint8_t> bytes;
  if (Status s = read_file_bytes(abs, bytes); !s) return s;
  try {
    const auto id = run_id(db, run);
    if (!id) return no_run(run);
    SQLite::Statement q(db, "INSERT OR REPLACE INTO checkpoints(run_id, epoch, file, hash, bytes, created) "
                            "VALUES (?,?,?,?,?,?)");
    q.bind(1, *id);
    q.bind(2, epoch);
    q.bind(3, relative);
    q.bind(4, content_hash(bytes.data(), bytes.size()));
    q.bind(5, static_cast<std::int64_t>(bytes.size()));
    q.bind(6, now_iso8601());
    q.exec();
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": cannot record checkpoint of " + run + ": " + e.what());
  }
  for (auto& c : checkpoints(run))
    if (c.epoch == epoch) return c;
  return Status::error("checkpoint of " + run + " epoch " + std::to_string(epoch) + " not recorded");
}

sdk::Result<std::string> RunStore::verify_checkpoint(const CheckpointInfo& c) const {
  const std::string abs = (fs::path(runs_dir()) / c.file).string();
  const std::string what = abs + " (checkpoint of " + c.run + ", epoch " + std::to_string(c.epoch) + ")";
  std::error_code ec;
  if (!fs::is_regular_file(abs, ec)) return Status::io_error(what + ": missing");
  const auto size = static_cast<std::int64_t>(fs::file_size(abs, ec));
  if (size != c.bytes)
    return Status::invalid(what + ": truncated or changed: " + std::to_string(size) + " bytes, the project recorded " +
                           std::to_string(c.bytes));
  std::vector<std::uint8_t> bytes;
  if (Status s = read_file_bytes(abs, bytes); !s) return s;
  if (content_hash(bytes.data(), bytes.size()) != c.hash)
    return Status::invalid(what + ": changed since it was written (hash differs from the one the project recorded)");
  return abs;
}

std::vector<RunInfo> RunStore::runs() const {
  std::vector<RunInfo> out;
  SQLite::Statement q(project_.db(), std::string(kRunColumns) + "ORDER BY r.id");
  while (q.executeStep()) out.push_back(run_from_row(q));
  return out;
}

std::optional<RunInfo> RunStore::run(const std::string& name) const {
  SQLite::Statement q(project_.db(), std::string(kRunColumns) + "WHERE r.name = ?");
  q.bind(1, name);
  if (!q.executeStep()) return std::nullopt;
  return run_from_row(q);
}

std::vector<CheckpointInfo> RunStore::checkpoints(const std::string& run) const {
  std::vector<CheckpointInfo> out;
  SQLite::Statement q(project_.db(), "SELECT c.id, c.epoch, c.file, c.hash, c.bytes, c.created FROM checkpoints c "
                                     "JOIN runs r ON r.id = c.run_id WHERE r.name = ? ORDER BY c.epoch");
  q.bind(1, run);
  while (q.executeStep()) {
    CheckpointInfo c;
    c.id = q.getColumn(0).getInt64();
    c.run = run;
    c.epoch = q.getColumn(1).getInt();
    c.file = q.getColumn(2).getString();
    c.hash = q.getColumn(3).getString();
    c.bytes = q.getColumn(4).getInt64();
    c.created = q.getColumn(5).getString();
    out.push_back(c);
  }
  return out;
}

Json RunStore::metrics(const std::string& run) const {
  Json out = Json::object();
  SQLite::Statement q(project_.db(), "SELECT m.split, m.name, m.epoch, m.value FROM run_metrics m JOIN runs r ON "
                                     "r.id = m.run_id WHERE r.name = ? ORDER BY m.split, m.name, m.epoch");
  q.bind(1, run);
  while (q.executeStep())
    out[q.getColumn(0).getString()][q.getColumn(1).getString()].push_back(
        {q.getColumn(2).getInt(), q.getColumn(3).getDouble()});
  return out;
}

sdk::Result<std::int64_t> RunStore::add_evaluation(const std::string& run, const std::string& snapshot,
                                                   const std::string& split, std::optional<std::int64_t> checkpoint,
                                                   const std::string& evaluator, const Json& metrics,
                                                   const std::vector<std::pair<std::int64_t, Json>>& predictions) {
  auto& db = project_.db();
  try {
    const auto id = run_id(db, run);
    if (!id) return no_run(run);
    SQLite::Statement s(db, "SELECT id FROM snapshots WHERE name = ?");
    s.bind(1, snapshot);
    if (!s.executeStep()) return Status::invalid("no snapshot '" + snapshot + "'");
    const std::int64_t snapshot_id = s.getColumn(0).getInt64();
    SQLite::Transaction tx(db);
    SQLite::Statement ins(db, "INSERT INTO evaluations(run_id, snapshot_id, split, checkpoint, evaluator, created, "
                              "metrics) VALUES (?,?,?,?,?,?,?)");
    ins.bind(1, *id);
    ins.bind(2, snapshot_id);
    ins.bind(3, split);
    if (checkpoint) ins.bind(4, *checkpoint);
    else ins.bind(4);
    ins.bind(5, evaluator);
    ins.bind(6, now_iso8601());
    ins.bind(7, metrics.dump());
    ins.exec();
    const std::int64_t eval_id = db.getLastInsertRowid();
    SQLite::Statement p(db, "INSERT INTO predictions(evaluation_id, image_id, record) VALUES (?,?,?)");
    for (const auto& [image, record] : predictions) {
      p.bind(1, eval_id);
      p.bind(2, image);
      p.bind(3, record.dump());
      p.exec();
      p.reset();
    }
    tx.commit();
    return eval_id;
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": cannot store the evaluation of " + run + ": " + e.what());
  }
}

Json RunStore::evaluations(const std::string& run) const {
  Json out = Json::array();
  SQLite::Statement q(project_.db(), "SELECT e.id, s.name, e.split, e.evaluator, e.created, e.metrics FROM evaluations e "
                                     "JOIN runs r ON r.id = e.run_id JOIN snapshots s ON s.id = e.snapshot_id "
                                     "WHERE r.name = ? ORDER BY e.id");
  q.bind(1, run);
  while (q.executeStep())
    out.push_back({{"id", q.getColumn(0).getInt64()},
                   {"snapshot", q.getColumn(1).getString()},
                   {"split", q.getColumn(2).getString()},
                   {"evaluator", q.getColumn(3).getString()},
                   {"created", q.getColumn(4).getString()},
                   {"metrics", Json::parse(q.getColumn(5).getString(), nullptr, false)}});
  return out;
}

std::vector<std::pair<std::int64_t, Json>> RunStore::predictions(std::int64_t evaluation) const {
  std::vector<std::pair<std::int64_t, Json>> out;
  SQLite::Statement p(project_.db(), "SELECT image_id, record FROM predictions WHERE evaluation_id = ? ORDER BY image_id");
  p.bind(1, evaluation);
  while (p.executeStep()) {
    Json rec = Json::parse(p.getColumn(1).getString(), nullptr, false);
    if (rec.is_discarded()) rec = Json::object();
    out.emplace_back(p.getColumn(0).getInt64(), std::move(rec));
  }
  return out;
}

Json RunStore::run_json(const RunInfo& r) const {
  Json cps = Json::array();
  for (const auto& c : checkpoints(r.name))
    cps.push_back({{"epoch", c.epoch}, {"file", c.file}, {"hash", c.hash}, {"bytes", c.bytes}, {"created", c.created}});
  return {{"name", r.name},         {"status", r.status},     {"task", r.task},
          {"snapshot", r.snapshot}, {"created", r.created},   {"finished", r.finished},
          {"message", r.message},   {"config", r.config},     {"environment", r.environment},
          {"metrics", metrics(r.name)}, {"checkpoints", cps}, {"evaluations", evaluations(r.name)}};
}

}  // namespace kohl::core
