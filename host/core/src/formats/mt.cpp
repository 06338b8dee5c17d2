// mt: the makeup-transfer (MT) dataset layout used by BeautyGAN and PSGAN.
//   images/makeup/*.png, images/non-makeup/*.png     the faces
//   segs/makeup/*.png,   segs/non-makeup/*.png       14-label masks (mt-14), same file names
//   makeup.txt, non-makeup.txt                       lists of files (optional; "makeup/x.png" or "x.png")
// Label set "makeup" with classes non-makeup / makeup. MT is unpaired: no pair links.
#include <filesystem>
#include <fstream>
#include <set>

#include "kohl/core/formats.hpp"
#include "kohl/sdk/layouts.hpp"

namespace kohl::core::formats {

namespace fs = std::filesystem;
using sdk::Status;

sdk::Result<ImportBatch> read_mt(const std::string& root, const ReadOptions&) {
  const fs::path r(root);
  std::error_code ec;
  if (!fs::is_directory(r / "images", ec))
    return Status::invalid(root + ": not an MT dataset (expected images/makeup and images/non-makeup)");
  ImportBatch b;
  b.source.name = r.filename().string();
  b.source.license = "MT dataset: research use only";
  b.label_sets["makeup"] = {"non-makeup", "makeup"};
  for (const std::string cls : {"non-makeup", "makeup"}) {
    const fs::path dir = r / "images" / cls;
    if (!fs::is_directory(dir, ec)) {
      b.errors.push_back({dir.string(), "missing folder"});
      continue;
    }
    // The list file, when present, names the files to take (in its order).
    std::vector<std::string> files;
    std::ifstream list(r / (cls + ".txt"));
    if (list) {
      std::string line;
      while (std::getline(list, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty()) continue;
        fs::path p(line);
        if (p.has_parent_path() && p.begin()->string() == cls) p = p.lexically_relative(cls);
        files.push_back((dir / p).string());
      }
    } else {
      files = find_image_files(dir.string(), b.errors);
    }
    for (const auto& f : files) {
      ImageEntry e;
      e.path = f;
      e.rel_path = relative_to(f, root);
      e.labels["makeup"] = cls;
      const fs::path seg = r / "segs" / cls / fs::path(f).filename();
      if (fs::exists(seg, ec)) {
        e.mask_file = seg.string();
        e.mask_label_map = sdk::kLabelMapMt14;
      } else {
        b.errors.push_back({f, "no mask at " + seg.string() + " (imported without one is not possible: MT images come with masks)"});
        continue;
      }
      b.entries.push_back(std::move(e));
    }
  }
  return b;
}

}  // namespace kohl::core::formats
