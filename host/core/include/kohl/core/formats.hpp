// Dataset formats: readers turn a source folder into an ImportBatch (host/core/src/formats/
// <format>.cpp), writers write stored entries out. A reader never touches the project; it
// reports per-file problems in ImportBatch::errors and leaves file checks (decoding the
// header, the pixel cap, hashing) to DataStore::ingest. Layouts: docs/datasets.md.
#pragma once

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "kohl/core/dataset.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/progress.hpp"

namespace kohl::core {

struct ReadOptions {
  std::string label_set = "class";  // folder: the label set the sub-folder names are classes of
  std::string remap_to;             // celebamask: "mt-14" remaps masks to MT-14 on import
  // csv: which columns mean what (defaults: docs/datasets.md)
  std::string path_column = "path";
  std::string subject_column = "subject";
  std::vector<std::string> label_columns;  // "column" or "column:label_set"
  std::vector<std::string> attribute_columns;
  // Source terms recorded with the data (override what the format says).
  std::string license, consent;
};

struct WriteOptions {
  std::string label_set;  // folder: which label set makes the sub-folders
  // Reads an entry's image bytes (from its path, or from the project when embedded).
  std::function<sdk::Status(const ImageEntry&, std::vector<std::uint8_t>&)> read_image;
  // Terms of each source (by name), written where the format keeps them (kohl).
  std::map<std::string, SourceInfo> sources;
  // Remap tables between label maps (kohl keeps them).
  std::map<std::pair<std::string, std::string>, std::vector<int>> label_remaps;
};

// Import formats: folder, csv, kohl, coco-keypoints, mt, celebamask.
std::vector<std::string> import_formats();
// Export formats: folder, csv, kohl, coco-keypoints.
std::vector<std::string> export_formats();

sdk::Result<ImportBatch> read_dataset(const std::string& format, const std::string& source_dir, const ReadOptions& options);

// Writes `entries` (with masks loaded, when the format keeps them) under `out_dir`, which
// must be empty or missing. Returns {"images": N, "files": [...top-level files]}.
sdk::Result<sdk::Json> write_dataset(const std::string& format, const std::vector<ImageEntry>& entries,
                                     const std::map<std::string, std::vector<std::string>>& label_sets,
                                     const std::map<std::string, std::vector<std::string>>& label_maps,
                                     const std::string& out_dir, const WriteOptions& options);

namespace formats {
// Shared by the readers: every image-like file under `dir`, recursively, sorted, following
// symlinked folders once (a symlink loop is reported as an error, not followed).
std::vector<std::string> find_image_files(const std::string& dir, std::vector<ImportError>& errors);
bool has_image_extension(const std::string& path);
std::string relative_to(const std::string& path, const std::string& root);

// The per-format functions dispatched by read_dataset / write_dataset.
sdk::Result<ImportBatch> read_folder(const std::string& dir, const ReadOptions& o);
sdk::Result<ImportBatch> read_csv(const std::string& dir, const ReadOptions& o);
sdk::Result<ImportBatch> read_kohl(const std::string& dir, const ReadOptions& o);
sdk::Result<ImportBatch> read_coco_keypoints(const std::string& dir, const ReadOptions& o);
sdk::Result<ImportBatch> read_mt(const std::string& dir, const ReadOptions& o);
sdk::Result<ImportBatch> read_celebamask(const std::string& dir, const ReadOptions& o);

sdk::Status write_folder(const std::vector<ImageEntry>& entries, const std::string& out, const WriteOptions& o,
                         const std::map<std::string, std::vector<std::string>>& label_sets);
sdk::Status write_csv(const std::vector<ImageEntry>& entries, const std::string& out, const WriteOptions& o);
sdk::Status write_kohl(const std::vector<ImageEntry>& entries, const std::string& out, const WriteOptions& o,
                       const std::map<std::string, std::vector<std::string>>& label_sets,
                       const std::map<std::string, std::vector<std::string>>& label_maps);
sdk::Status write_coco_keypoints(const std::vector<ImageEntry>& entries, const std::string& out, const WriteOptions& o);

// Writes an entry's image to out/<rel> (creating folders); used by every writer.
sdk::Status copy_image(const ImageEntry& e, const std::string& out, const std::string& rel, const WriteOptions& o);
// The relative path an entry is exported under: <dataset>/<rel_path>, made safe.
std::string export_path(const ImageEntry& e);
// A file or folder name that stays one path component ("../x" -> ".._x").
std::string safe_name(const std::string& name);

// Hands out export paths, making each unique: a second image at the same path (two
// imports into one dataset from different folders) gets its hash prefix added.
class ExportPaths {
 public:
  std::string operator()(const std::string& wanted, const ImageEntry& e) {
    if (used_.insert(wanted).second) return wanted;
    const std::filesystem::path p(wanted);
    std::string alt = (p.parent_path() / (e.hash.substr(0, 12) + "_" + p.filename().string())).string();
    for (int i = 2; !used_.insert(alt).second; ++i)
      alt = (p.parent_path() / (std::to_string(i) + "_" + e.hash.substr(0, 12) + "_" + p.filename().string())).string();
    return alt;
  }

 private:
  std::set<std::string> used_;
};
}  // namespace formats

}  // namespace kohl::core
