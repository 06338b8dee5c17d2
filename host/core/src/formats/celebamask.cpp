// celebamask: CelebAMask-HQ with combined 19-label masks (the layout face-parsing code uses).
//   images/*.jpg (or CelebA-HQ-img/*.jpg)        the faces
//   masks/<stem>.png (or mask/<stem>.png)        8-bit labels in the celebamask-19 map
// With --remap mt-14 the masks are remapped by PSGAN's table on import (any format's masks
// can be remapped by a table the project defines: `kohl data remap-table`).
#include <filesystem>

#include "kohl/core/formats.hpp"
#include "kohl/sdk/layouts.hpp"

namespace kohl::core::formats {

namespace fs = std::filesystem;
using sdk::Status;

sdk::Result<ImportBatch> read_celebamask(const std::string& root, const ReadOptions& o) {
  const fs::path r(root);
  std::error_code ec;
  fs::path images, masks;
  for (const char* d : {"images", "CelebA-HQ-img"})
    if (fs::is_directory(r / d, ec)) images = r / d;
  for (const char* d : {"masks", "mask"})
    if (fs::is_directory(r / d, ec)) masks = r / d;
  if (images.empty() || masks.empty())
    return Status::invalid(root + ": not a CelebAMask layout (expected images/ and masks/ with <stem>.png label images)");
  ImportBatch b;
  b.source.name = r.filename().string();
  b.source.license = "CelebAMask-HQ: non-commercial research use only";
  for (const auto& f : find_image_files(images.string(), b.errors)) {
    ImageEntry e;
    e.path = f;
    e.rel_path = relative_to(f, root);
    const fs::path m = masks / (fs::path(f).stem().string() + ".png");
    if (!fs::exists(m, ec)) {
      b.errors.push_back({f, "no mask at " + m.string()});
      continue;
    }
    e.mask_file = m.string();
    e.mask_label_map = sdk::kLabelMapCelebA19;
    e.mask_remap_to = o.remap_to;
    b.entries.push_back(std::move(e));
  }
  return b;
}

}  // namespace kohl::core::formats
