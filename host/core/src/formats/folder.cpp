// folder: one sub-folder per class (ImageNet / torchvision ImageFolder style).
//   SRC/<class>/<image>        -> label set ReadOptions::label_set (default "class")
//   SRC/<image>                -> no label
#include <filesystem>
#include <fstream>

#include "kohl/core/formats.hpp"

namespace kohl::core::formats {

namespace fs = std::filesystem;
using sdk::Status;

sdk::Result<ImportBatch> read_folder(const std::string& root, const ReadOptions& o) {
  ImportBatch b;
  b.source.name = fs::path(root).filename().string();
  std::vector<std::string> classes;
  const auto files = find_image_files(root, b.errors);
  b.entries.reserve(files.size());  // an ImageEntry is large: no regrowth copies
  for (const auto& file : files) {
    ImageEntry e;
    e.path = file;
    e.rel_path = relative_to(file, root);
    const auto slash = e.rel_path.find('/');
    if (slash != std::string::npos) {
      const std::string cls = e.rel_path.substr(0, slash);  // the top sub-folder names the class
      e.labels[o.label_set] = cls;
      if (std::find(classes.begin(), classes.end(), cls) == classes.end()) classes.push_back(cls);
    }
    b.entries.push_back(std::move(e));
  }
  if (b.entries.empty() && b.errors.empty())
    return Status::invalid(root + ": no image files found (expected SRC/<class>/<image>.jpg|png|bmp|webp)");
  return b;
}

Status write_folder(const std::vector<ImageEntry>& entries, const std::string& out, const WriteOptions& o,
                    const std::map<std::string, std::vector<std::string>>& label_sets) {
  std::string set = o.label_set;
  if (set.empty()) {
    if (label_sets.size() != 1) {
      std::string names;
      for (const auto& [k, v] : label_sets) names += (names.empty() ? "" : ", ") + k;
      return Status::invalid("--label-set: choose the label set whose classes become folders (" +
                             (names.empty() ? std::string("the project has none") : names) + ")");
    }
    set = label_sets.begin()->first;
  }
  ExportPaths paths;
  for (const auto& e : entries) {
    auto it = e.labels.find(set);
    const std::string cls = it == e.labels.end() ? "_unlabelled" : safe_name(it->second);
    const std::string name = e.hash.substr(0, 12) + "_" + fs::path(e.rel_path).filename().string();
    if (Status s = copy_image(e, out, paths((fs::path(cls) / name).string(), e), o); !s) return s;
  }
  return Status::ok();
}

}  // namespace kohl::core::formats
