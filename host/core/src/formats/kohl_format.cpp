// kohl: Kohl's own dataset format; keeps every annotation, so import(export(x)) == x.
//   kohl-dataset.json    {"format": "kohl-dataset", "version": 1, "source": {...},
//                         "label_sets": {set: [classes]}, "label_maps": {name: [labels]}, "images": N}
//   annotations.jsonl    one JSON record per image (entry_to_json) plus "mask" and "mask_label_map"
//   images/...           the image files, at the record's "file"
//   masks/<n>.png        8-bit label images
#include <filesystem>
#include <fstream>


#include "kohl/core/codecs.hpp"
#include "kohl/core/data_store.hpp"
#include "kohl/core/formats.hpp"

namespace kohl::core::formats {

namespace fs = std::filesystem;
using sdk::Json;
using sdk::Status;

constexpr int kKohlFormatVersion = 1;

sdk::Result<ImportBatch> read_kohl(const std::string& root, const ReadOptions&) {
  const fs::path manifest_path = fs::path(root) / "kohl-dataset.json";
  std::ifstream mf(manifest_path);
  if (!mf) return Status::invalid(manifest_path.string() + ": missing (not a Kohl dataset folder)");
  Json manifest = Json::parse(mf, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object())
    return Status::invalid(manifest_path.string() + ": not valid JSON (a half-written export?)");
  auto field_is = [&](const char* key, bool (Json::*is)() const) { return manifest.contains(key) && (manifest[key].*is)(); };
  if (!field_is("format", &Json::is_string) || manifest["format"] != "kohl-dataset")
    return Status::invalid(manifest_path.string() + ": field 'format' must be \"kohl-dataset\"");
  if (!field_is("version", &Json::is_number_integer))
    return Status::invalid(manifest_path.string() + ": field 'version' must be an integer");
  if (!field_is("images", &Json::is_number_unsigned) && !(field_is("images", &Json::is_number_integer) && manifest["images"] == 0))
    return Status::invalid(manifest_path.string() + ": field 'images' must be a count (a non-negative integer)");
  const int version = manifest["version"].get<int>();
  if (version < 1 || version > kKohlFormatVersion)
    return Status::invalid(manifest_path.string() + ": field 'version' is " + std::to_string(version) +
                           ", this Kohl reads version 1 to " + std::to_string(kKohlFormatVersion));
  ImportBatch b;
  try {
    const Json src = manifest.value("source", Json::object());
    b.source.name = src.value("name", fs::path(root).filename().string());
    b.source.license = src.value("license", "");
    b.source.consent = src.value("consent", "");
    b.source.synthetic = src.value("synthetic", false);
    const Json sets = manifest.value("label_sets", Json::object()), maps = manifest.value("label_maps", Json::object());
    for (const auto& [k, v] : sets.items()) b.label_sets[k] = v.get<std::vector<std::string>>();
    for (const auto& [k, v] : maps.items()) b.label_maps[k] = v.get<std::vector<std::string>>();
    const Json remaps = manifest.value("label_remaps", Json::array());
    for (const auto& r : remaps)
      b.label_remaps[{r.at("from").get<std::string>(), r.at("to").get<std::string>()}] = r.at("table").get<std::vector<int>>();
  } catch (const std::exception& e) {
    return Status::invalid(manifest_path.string() + ": " + e.what());
  }
  const fs::path ann = fs::path(root) / "annotations.jsonl";
  std::ifstream in(ann);
  if (!in) return Status::invalid(ann.string() + ": missing");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    const std::string where = ann.string() + ":" + std::to_string(n);
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      b.errors.push_back({where, "not valid JSON (truncated line?)"});
      continue;
    }
    auto e = entry_from_json(j);
    if (!e) {
      b.errors.push_back({where, e.status().message()});
      continue;
    }
    ImageEntry x = std::move(e).value();
    x.path = (fs::path(root) / x.rel_path).lexically_normal().string();
    x.hash.clear();  // recomputed from the file
    x.width = x.height = 0;
    if (j.contains("mask") && j["mask"].is_string()) {
      if (!j.contains("mask_label_map") || !j["mask_label_map"].is_string()) {
        b.errors.push_back({where, "field 'mask_label_map' must name the mask's label map (e.g. \"mt-14\")"});
        continue;
      }
      x.mask_file = (fs::path(root) / j["mask"].get<std::string>()).string();
      x.mask_label_map = j["mask_label_map"].get<std::string>();
    }
    // The file path inside the export becomes the rel_path; the record keeps it relative.
    x.rel_path = fs::path(x.rel_path).lexically_normal().string();
    b.entries.push_back(std::move(x));
  }
  const auto declared = manifest["images"].get<std::uint64_t>();
  if (declared != b.entries.size() + b.errors.size())
    b.errors.push_back({ann.string(), "manifest says " + std::to_string(declared) + " images, found " +
                                          std::to_string(b.entries.size() + b.errors.size()) + " records (half-written?)"});
  return b;
}

Status write_kohl(const std::vector<ImageEntry>& entries, const std::string& out, const WriteOptions& o,
                  const std::map<std::string, std::vector<std::string>>& label_sets,
                  const std::map<std::string, std::vector<std::string>>& label_maps) {
  std::ofstream ann(fs::path(out) / "annotations.jsonl");
  int mask_no = 0;
  Json source;
  ExportPaths paths;
  for (const auto& e : entries) {
    ImageEntry copy = e;
    copy.rel_path = paths((fs::path("images") / export_path(e)).string(), e);
    if (Status s = copy_image(e, out, copy.rel_path, o); !s) return s;
    Json j = entry_to_json(copy);
    if (e.mask && !e.mask->labels.empty()) {
      const std::string rel = "masks/" + std::to_string(++mask_no) + ".png";
      fs::create_directories(fs::path(out) / "masks");
      if (Status w = codecs::write((fs::path(out) / rel).string(), e.mask->labels); !w) return w;
      j["mask"] = rel;
      j["mask_label_map"] = e.mask->label_map;
    }
    ann << j.dump() << "\n";
    if (source.is_null()) source = e.source;
  }
  if (!ann) return Status::io_error(out + "/annotations.jsonl: cannot write");
  ann.close();
  // The manifest is written last: a folder without it is a half-written export.
  // One source per Kohl dataset: the first image's (a multi-source export keeps each
  // image's annotations but is imported back as one source).
  const std::string source_name = source.is_null() ? "" : source.get<std::string>();
  Json src = {{"name", source_name}};
  if (auto it = o.sources.find(source_name); it != o.sources.end())
    src = {{"name", source_name}, {"license", it->second.license}, {"consent", it->second.consent},
           {"synthetic", it->second.synthetic}};
  Json manifest = {{"format", "kohl-dataset"}, {"version", kKohlFormatVersion}, {"images", entries.size()},
                   {"source", src},
                   {"label_sets", label_sets}, {"label_maps", label_maps}};
  Json remaps = Json::array();
  for (const auto& [key, lut] : o.label_remaps) remaps.push_back({{"from", key.first}, {"to", key.second}, {"table", lut}});
  manifest["label_remaps"] = remaps;
  std::ofstream mf(fs::path(out) / "kohl-dataset.json");
  mf << manifest.dump(2) << "\n";
  if (!mf) return Status::io_error(out + "/kohl-dataset.json: cannot write");
  return Status::ok();
}

}  // namespace kohl::core::formats
