// Kohl's evaluation report and run comparison: the one renderer of these pages. The CLI
// (`kohl report`, `kohl compare`) writes them to a folder; the GUI's report and compare
// views show the same HTML. Pages are self-contained: inline CSS, inline SVG charts,
// thumbnails as base64 data URIs; no scripts, no network, no external fonts.
//
// Threading: load_* read the project through its one connection, on the thread that owns
// the project; render_* are pure functions of what was loaded. Errors name the run, the
// evaluation and what was expected.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kohl/core/project.hpp"
#include "kohl/core/runs.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::report {

using sdk::Json;

// One stored evaluation of a run, with the per-sample predictions it came from.
struct Evaluation {
  std::int64_t id = 0;
  std::string snapshot, split, evaluator, created;
  int checkpoint_epoch = -1;  // -1: not recorded
  Json metrics = Json::object();  // the evaluator's JSON (docs/evaluation.md)
  std::vector<std::pair<std::int64_t, Json>> predictions;  // (image id, record), by image id
};

struct RunData {
  core::RunInfo info;
  Json curves = Json::object();  // RunStore::metrics(): {"train": {"loss": [[epoch, v], ...]}, "val": {...}}
  int checkpoints = 0;
  Evaluation evaluation;
};

// The run and one of its evaluations (the latest when `evaluation` is empty). Errors: no
// such run; the run has no evaluation ("run `kohl eval PROJECT RUN` first"); the
// evaluation id belongs to another run or does not exist.
sdk::Result<RunData> load_run(core::Project& project, const std::string& run,
                              std::optional<std::int64_t> evaluation = std::nullopt);

// A small JPEG of an image as a data URI ("" when it cannot be read: the page then shows
// a placeholder saying so). Reads the project's thumbnail cache when it has the image,
// else decodes the file and scales it down.
using ImageSource = std::function<std::string(std::int64_t image_id)>;
// The function keeps a reference to `project`, which must outlive it.
ImageSource project_images(core::Project& project, int longest_side = 112);

struct Page {
  std::string html;
  Json json;
  std::string csv;  // metrics.csv (run report only)
};

struct RunReportOptions {
  int worst_errors = 12;  // cards in the worst-errors grid
};

// The report of one run's evaluation: index.html, metrics.json, metrics.csv.
Page render_run(const RunData& run, const ImageSource& images, const RunReportOptions& options = {});

struct CompareOptions {
  bool allow_different_data = false;
  std::int64_t resamples = 2000;  // paired bootstrap resamples
  std::uint64_t seed = 1;
  std::int64_t mcnemar_exact_below = 25;  // discordant pairs below which McNemar is exact
};

// Compares runs (the first is the reference for deltas). Refused (Status::invalid) when
// they were evaluated on different snapshots, splits or test samples (matched by image id,
// with the same truth), unless allow_different_data: then the page and compare.json say
// so at the top, and the paired tests use the samples all runs share. Runs of different
// tasks are always refused.
sdk::Result<Page> render_compare(const std::vector<RunData>& runs, const CompareOptions& options = {});

// Writes each (file name, content) into `dir` (created), each file written beside and
// renamed so a reader never sees half a page.
sdk::Status write_files(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace kohl::report
