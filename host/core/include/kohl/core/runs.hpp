// Training runs as the project stores them: the run's configuration and environment, its
// metrics per epoch, its checkpoints (files beside the project, hashes in it) and its
// evaluations with the per-sample predictions they came from. No LibTorch here: the
// trainer (libkohl_train.so) writes through this, the CLI and the GUI read through it.
//
// Threading: one RunStore per Project, used from the thread that owns the project (the
// project's single writer). Every write is one transaction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kohl/core/project.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::core {

// Persisted run states.
constexpr const char* kRunRunning = "running";
constexpr const char* kRunStopped = "stopped";  // interrupted (Ctrl-C, kill): resumable
constexpr const char* kRunDone = "done";
constexpr const char* kRunFailed = "failed";

struct RunInfo {
  std::int64_t id = 0;
  std::string name, created, finished, status, task, snapshot, message;
  sdk::Json config = sdk::Json::object();
  sdk::Json environment = sdk::Json::object();
};

struct CheckpointInfo {
  std::int64_t id = 0;
  std::string run;
  int epoch = 0;
  std::string file;  // relative to RunStore::runs_dir()
  std::string hash;  // XXH3-128 hex
  std::int64_t bytes = 0;
  std::string created;
};

class RunStore {
 public:
  explicit RunStore(Project& project) : project_(project) {}

  // PROJECT.runs: where checkpoint files live (one folder per run).
  std::string runs_dir() const;

  // A new run named run-<n>, status running. The snapshot must exist.
  sdk::Result<RunInfo> create_run(const std::string& task, const std::string& snapshot, const sdk::Json& config,
                                  const sdk::Json& environment);
  sdk::Status set_status(const std::string& run, const std::string& status, const std::string& message = "");
  // Replaces the run's configuration (a resumed run trained to more epochs records them).
  sdk::Status set_config(const std::string& run, const sdk::Json& config);
  // Metrics of one epoch and split (train | val); replaces values logged before for the
  // same (epoch, split, name), so a resumed epoch overwrites its partial numbers.
  sdk::Status log_metrics(const std::string& run, int epoch, const std::string& split,
                          const std::map<std::string, double>& values);
  // Records a checkpoint file already written (atomically) under runs_dir(); hashes it.
  sdk::Result<CheckpointInfo> add_checkpoint(const std::string& run, int epoch, const std::string& relative_file);
  // The checkpoint's absolute path after checking its size and hash; the error says the file
  // is missing, truncated or changed, and which run and epoch it belongs to.
  sdk::Result<std::string> verify_checkpoint(const CheckpointInfo& c) const;

  std::vector<RunInfo> runs() const;
  std::optional<RunInfo> run(const std::string& name) const;
  std::vector<CheckpointInfo> checkpoints(const std::string& run) const;
  // {"train": {"loss": [[epoch, value], ...], ...}, "val": {...}}
  sdk::Json metrics(const std::string& run) const;

  // Stores an evaluation and its predictions ((image id, record JSON) pairs). Returns its id.
  sdk::Result<std::int64_t> add_evaluation(const std::string& run, const std::string& snapshot,
                                           const std::string& split, std::optional<std::int64_t> checkpoint,
                                           const std::string& evaluator, const sdk::Json& metrics,
                                           const std::vector<std::pair<std::int64_t, sdk::Json>>& predictions);
  // [{"id", "snapshot", "split", "evaluator", "created", "metrics"}], oldest first.
  sdk::Json evaluations(const std::string& run) const;
  // The per-sample predictions an evaluation stored, (image id, record) by image id; a record
  // that is not JSON reads as {}.
  std::vector<std::pair<std::int64_t, sdk::Json>> predictions(std::int64_t evaluation) const;

  // The run as `kohl runs show --json` prints it: info, config, environment, metrics,
  // checkpoints, evaluations.
  sdk::Json run_json(const RunInfo& r) const;

 private:
  Project& project_;
};

}  // namespace kohl::core
