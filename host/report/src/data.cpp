// Reading what a report needs from the project: a run, one evaluation and its stored
// per-sample predictions, thumbnails (see report.hpp).
#include <filesystem>
#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <opencv2/imgproc.hpp>

#include "kohl/core/codecs.hpp"
#include "kohl/core/data_store.hpp"
#include "kohl/core/image_probe.hpp"
#include "kohl/report/html.hpp"
#include "kohl/report/report.hpp"

namespace kohl::report {

namespace fs = std::filesystem;
using sdk::Status;

sdk::Result<RunData> load_run(core::Project& project, const std::string& run, std::optional<std::int64_t> evaluation) {
  core::RunStore store(project);
  RunData d;
  try {
    auto info = store.run(run);
    if (!info) return Status::invalid("no run '" + run + "' in " + project.path() + " (see `kohl runs ls`)");
    d.info = *info;
    d.curves = store.metrics(run);
    d.checkpoints = static_cast<int>(store.checkpoints(run).size());
    // The evaluation: its row (with the checkpoint's epoch), then its predictions.
    std::string sql =
        "SELECT e.id, s.name, e.split, e.evaluator, e.created, e.metrics, c.epoch, r.name FROM evaluations e "
        "JOIN runs r ON r.id = e.run_id JOIN snapshots s ON s.id = e.snapshot_id "
        "LEFT JOIN checkpoints c ON c.id = e.checkpoint ";
    sql += evaluation ? "WHERE e.id = ?" : "WHERE r.name = ? ORDER BY e.id DESC LIMIT 1";
    SQLite::Statement q(project.db(), sql);
    if (evaluation) q.bind(1, *evaluation);
    else q.bind(1, run);
    if (!q.executeStep()) {
      if (evaluation)
        return Status::invalid("no evaluation " + std::to_string(*evaluation) + " in " + project.path() +
                               " (see `kohl runs show PROJECT " + run + "` for the run's evaluations)");
      return Status::invalid(run + " has no evaluation yet: run `kohl eval " + project.path() + " " + run +
                             "` first, then make the report");
    }
    if (q.getColumn(7).getString() != run)
      return Status::invalid("evaluation " + std::to_string(*evaluation) + " belongs to " + q.getColumn(7).getString() +
                             ", not to " + run);
    Evaluation& e = d.evaluation;
    e.id = q.getColumn(0).getInt64();
    e.snapshot = q.getColumn(1).getString();
    e.split = q.getColumn(2).getString();
    e.evaluator = q.getColumn(3).getString();
    e.created = q.getColumn(4).getString();
    e.metrics = Json::parse(q.getColumn(5).getString(), nullptr, false);
    if (e.metrics.is_discarded() || !e.metrics.is_object())
      return Status::invalid("evaluation " + std::to_string(e.id) + " of " + run +
                             ": its stored metrics are not a JSON object");
    e.checkpoint_epoch = q.getColumn(6).isNull() ? -1 : q.getColumn(6).getInt();
    e.predictions = store.predictions(e.id);
  } catch (const std::exception& ex) {
    return Status::io_error(project.path() + ": cannot read run " + run + ": " + ex.what());
  }
  return d;
}

ImageSource project_images(core::Project& project, int longest_side) {
  const std::string thumbs = project.path() + ".thumbs";
  return [&project, thumbs, longest_side](std::int64_t id) -> std::string {
    std::string path, hash;
    try {
      SQLite::Statement q(project.db(), "SELECT path, hash FROM images WHERE id = ?");
      q.bind(1, id);
      if (!q.executeStep()) return "";
      path = q.getColumn(0).getString();
      hash = q.getColumn(1).getString();
    } catch (const std::exception&) {
      return "";
    }
    // The cached thumbnail (kohl data thumbs) when there is one, else the image itself.
    std::error_code ec;
    const fs::path cached = fs::path(thumbs) / (hash + ".jpg");
    const std::string source = fs::is_regular_file(cached, ec) ? cached.string() : path;
    std::vector<std::uint8_t> bytes;
    if (!fs::is_regular_file(source, ec) || !core::read_file_bytes(source, bytes)) {
      bytes = core::DataStore(project).embedded_bytes(id);  // images stored in the project (--embed)
      if (bytes.empty()) return "";
    }
    auto img = core::codecs::decode(bytes);
    if (!img || img.value().empty()) return "";
    cv::Mat m = img.value();
    const int longest = std::max(m.cols, m.rows);
    if (longest > longest_side) {
      const double f = static_cast<double>(longest_side) / longest;
      cv::resize(m, m, cv::Size(), f, f, cv::INTER_AREA);
    }
    std::vector<std::uint8_t> jpg;
    if (!core::codecs::encode(".jpg", m, jpg, {cv::IMWRITE_JPEG_QUALITY, 80})) return "";
    return data_uri("image/jpeg", jpg);
  };
}

Status write_files(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::io_error(dir + ": cannot create the output folder: " + ec.message());
  for (const auto& [name, content] : files) {
    const fs::path target = fs::path(dir) / name;
    const fs::path tmp = target.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
      if (!out) return Status::io_error(tmp.string() + ": cannot write");
    }
    fs::rename(tmp, target, ec);
    if (ec) return Status::io_error(target.string() + ": " + ec.message());
  }
  return Status::ok();
}

}  // namespace kohl::report
