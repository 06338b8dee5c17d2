// coco-keypoints: COCO person-keypoints style JSON, used here for 68-point face landmarks.
//   annotations.json        (or the only *.json in SRC, or the only *.json in SRC/annotations/)
//     images       [{id, file_name, width, height}]
//     annotations  [{id, image_id, category_id, keypoints [x, y, v] * K, num_keypoints, bbox [x, y, w, h]}]
//     categories   [{id, name, keypoints [names], skeleton}]
//   images/<file_name>      the image files (or SRC/<file_name> when images/<file_name> is missing)
// One ImageEntry per image. Each annotation adds a Box (its bbox, labelled with the category's
// name, score 1) and, when K == 68, Landmarks in the dlib-68 layout. Only that layout is
// supported: K != 68 is an error for the image, which is then not imported.
//
// Coordinates: COCO keypoints are pixel coordinates; they are kept exactly as written, no
// shift. (Some readers, e.g. detectron2, treat COCO keypoints as integer pixel indices and
// add 0.5 to move to a corner-origin continuous frame. Kohl's landmarks use the same
// pixel-index frame as dlib's shape predictor, where the centre of the top-left pixel is
// (0, 0), so no shift is applied on read or write and read(write(x)) == x.)
// Visibility: points with v == 0 ("not labelled") in an annotation that has labelled points
// keep their x, y (a landmark set has all 68 points; COCO writers usually put 0, 0 there, so
// check such data). An annotation whose points are all v == 0 (num_keypoints 0, as the
// writer emits for faces without landmarks) carries no landmarks, only its box.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <unordered_map>

#include "kohl/core/formats.hpp"
#include "kohl/sdk/layouts.hpp"

namespace kohl::core::formats {

namespace fs = std::filesystem;
using sdk::Json;
using sdk::Status;

namespace {

constexpr int kDlib68Points = 68;

// Names for the 68 dlib points: the region, then the point's dlib index.
std::vector<std::string> dlib68_keypoint_names() {
  std::vector<std::string> names;
  names.reserve(kDlib68Points);
  for (int i = 0; i < kDlib68Points; ++i) {
    const char* region = i <= 16   ? "jaw"
                         : i <= 21 ? "right_brow"   // the subject's right: image left
                         : i <= 26 ? "left_brow"
                         : i <= 30 ? "nose_bridge"
                         : i <= 35 ? "nostril"
                         : i <= 41 ? "right_eye"
                         : i <= 47 ? "left_eye"
                         : i <= 59 ? "outer_lip"
                                   : "inner_lip";
    names.push_back(std::string(region) + "_" + std::to_string(i));
  }
  return names;
}

// The JSON file: SRC/annotations.json, else the only *.json in SRC, else the only one in SRC/annotations/.
sdk::Result<fs::path> find_annotation_file(const fs::path& root) {
  std::error_code ec;
  if (fs::is_regular_file(root / "annotations.json", ec)) return root / "annotations.json";
  auto json_files = [](const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code e;
    for (fs::directory_iterator it(dir, e), end; !e && it != end; it.increment(e))
      if (it->path().extension() == ".json" && it->is_regular_file(e)) out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto top = json_files(root);
  if (top.size() == 1) return top[0];
  if (top.size() > 1) {
    std::string list;
    for (const auto& p : top) list += (list.empty() ? "" : ", ") + p.filename().string();
    return Status::invalid(root.string() + ": several .json files (" + list +
                           "); name the COCO file annotations.json");
  }
  if (fs::is_directory(root / "annotations", ec)) {
    const auto sub = json_files(root / "annotations");
    if (sub.size() == 1) return sub[0];
    if (sub.size() > 1)
      return Status::invalid((root / "annotations").string() + ": several .json files; keep exactly one, or put the "
                             "COCO file at " + (root / "annotations.json").string());
  }
  return Status::invalid(root.string() + ": no COCO annotation file (expected annotations.json, with images/)");
}

std::string id_text(const Json& id) { return id.is_null() ? std::string("?") : id.dump(); }

}  // namespace

sdk::Result<ImportBatch> read_coco_keypoints(const std::string& root, const ReadOptions&) {
  const fs::path r(root);
  auto found = find_annotation_file(r);
  if (!found) return found.status();
  const fs::path json_path = found.value();
  const std::string jp = json_path.string();

  Json doc;
  {
    std::ifstream in(json_path, std::ios::binary);
    if (!in) return Status::io_error(jp + ": cannot open");
    try {
      doc = Json::parse(in);
    } catch (const std::exception& e) {
      return Status::invalid(jp + ": not valid JSON: " + e.what());
    }
  }
  if (!doc.is_object()) return Status::invalid(jp + ": not a COCO file (the top level must be an object)");
  for (const char* key : {"images", "annotations", "categories"})
    if (doc.contains(key) && !doc[key].is_array())
      return Status::invalid(jp + ": not a COCO file (field '" + key + "' must be an array)");
  if (!doc.contains("images")) return Status::invalid(jp + ": not a COCO file (no 'images' array)");

  ImportBatch b;
  b.source.name = r.filename().string();

  // Categories: id -> name (and the declared keypoint count, when given).
  struct Category {
    std::string name;
    int keypoints = -1;
  };
  std::unordered_map<std::int64_t, Category> categories;
  for (const auto& c : doc.value("categories", Json::array())) {
    if (!c.is_object() || !c.contains("id") || !c["id"].is_number_integer()) {
      b.errors.push_back({jp, "category " + (c.is_object() && c.contains("id") ? id_text(c["id"]) : std::string("?")) +
                                  ": no integer 'id'; ignored"});
      continue;
    }
    Category cat;
    cat.name = c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>() : "face";
    if (c.contains("keypoints") && c["keypoints"].is_array()) cat.keypoints = static_cast<int>(c["keypoints"].size());
    categories[c["id"].get<std::int64_t>()] = cat;
  }

  // Images, in file order.
  struct Pending {
    ImageEntry entry;
    std::string error;  // first problem found with this image's annotations: drop it
  };
  std::vector<Pending> images;
  std::unordered_map<std::int64_t, std::size_t> by_id;
  std::size_t n = 0;
  for (const auto& im : doc["images"]) {
    ++n;
    if (!im.is_object() || !im.contains("id") || !im["id"].is_number_integer()) {
      b.errors.push_back({jp, "image #" + std::to_string(n) + ": no integer 'id'"});
      continue;
    }
    const std::int64_t id = im["id"].get<std::int64_t>();
    const std::string who = "image " + std::to_string(id);
    if (!im.contains("file_name") || !im["file_name"].is_string() || im["file_name"].get<std::string>().empty()) {
      b.errors.push_back({jp, who + ": no 'file_name'"});
      continue;
    }
    const std::string name = im["file_name"].get<std::string>();
    if (by_id.count(id)) {
      b.errors.push_back({jp, who + " (" + name + "): the id is used by an earlier image; skipped"});
      continue;
    }
    std::error_code ec;
    fs::path file = r / "images" / name;
    if (!fs::exists(file, ec)) file = r / name;
    if (!fs::exists(file, ec)) {
      b.errors.push_back({jp, who + " (" + name + "): no such file at " + (r / "images" / name).string() + " or " +
                                  (r / name).string()});
      by_id[id] = std::numeric_limits<std::size_t>::max();  // known id, no entry: its annotations go quietly
      continue;
    }
    Pending p;
    p.entry.path = file.lexically_normal().string();
    p.entry.rel_path = relative_to(p.entry.path, root);
    by_id[id] = images.size();
    images.push_back(std::move(p));
  }

  // Annotations.
  n = 0;
  for (const auto& a : doc.value("annotations", Json::array())) {
    ++n;
    const std::string aid = a.is_object() && a.contains("id") ? id_text(a["id"]) : "#" + std::to_string(n);
    const std::string who = "annotation " + aid;
    if (!a.is_object() || !a.contains("image_id") || !a["image_id"].is_number_integer()) {
      b.errors.push_back({jp, who + ": no integer 'image_id'"});
      continue;
    }
    const std::int64_t image_id = a["image_id"].get<std::int64_t>();
    auto it = by_id.find(image_id);
    if (it == by_id.end()) {
      b.errors.push_back({jp, who + ": image_id " + std::to_string(image_id) + " is not in 'images'"});
      continue;
    }
    if (it->second == std::numeric_limits<std::size_t>::max()) continue;  // the image itself was reported
    Pending& p = images[it->second];
    if (!p.error.empty()) continue;
    const std::string where = who + " (image " + std::to_string(image_id) + ", " + p.entry.rel_path + ")";
    auto fail = [&](const std::string& what) { p.error = where + ": " + what; };

    std::string label = "face";
    int declared = -1;
    if (a.contains("category_id") && a["category_id"].is_number_integer()) {
      auto c = categories.find(a["category_id"].get<std::int64_t>());
      if (c == categories.end()) {
        fail("category_id " + a["category_id"].dump() + " is not in 'categories'");
        continue;
      }
      label = c->second.name;
      declared = c->second.keypoints;
    }
    try {
      if (a.contains("bbox") && !a["bbox"].is_null()) {
        const auto& bb = a["bbox"];
        if (!bb.is_array() || bb.size() != 4) {
          fail("'bbox' must be [x, y, width, height]");
          continue;
        }
        const cv::Rect2f rect(bb[0].get<float>(), bb[1].get<float>(), bb[2].get<float>(), bb[3].get<float>());
        if (!(rect.width >= 0 && rect.height >= 0)) {
          fail("'bbox' has a negative width or height");
          continue;
        }
        p.entry.boxes.push_back({rect, label, 1.0f});
      }
      if (a.contains("keypoints") && !a["keypoints"].is_null()) {
        const auto& kp = a["keypoints"];
        if (!kp.is_array()) {
          fail("'keypoints' must be an array [x, y, v, ...]");
          continue;
        }
        if (kp.size() % 3 != 0) {
          fail("'keypoints' has " + std::to_string(kp.size()) + " numbers, not a multiple of 3 (x, y, v per point)");
          continue;
        }
        const int k = static_cast<int>(kp.size() / 3);
        if (k == 0) continue;
        if (k != kDlib68Points) {
          fail(std::to_string(k) + " keypoints; only 68-point dlib layout (dlib-68) is supported");
          continue;
        }
        if (declared >= 0 && declared != k) {
          fail(std::to_string(k) + " keypoints, but its category names " + std::to_string(declared));
          continue;
        }
        sdk::Landmarks lm;
        lm.layout = sdk::kLayoutDlib68;
        bool any_labelled = false;
        for (int i = 0; i < k; ++i) {
          const float x = kp[3 * i].get<float>(), y = kp[3 * i + 1].get<float>();
          const int v = static_cast<int>(kp[3 * i + 2].get<double>());
          if (v != 0) any_labelled = true;
          lm.points.emplace_back(x, y);  // v == 0 points keep their x, y (see the top of this file)
        }
        if (any_labelled) p.entry.landmarks.push_back(std::move(lm));
      }
    } catch (const std::exception&) {
      fail("'bbox' and 'keypoints' must hold numbers");
      continue;
    }
  }

  std::set<std::string> classes;
  for (auto& p : images) {
    if (!p.error.empty()) {
      b.errors.push_back({jp, p.error});
      continue;
    }
    b.entries.push_back(std::move(p.entry));
  }
  if (b.entries.empty() && b.errors.empty())
    return Status::invalid(jp + ": no images listed (the 'images' array is empty)");
  return b;
}

Status write_coco_keypoints(const std::vector<ImageEntry>& entries, const std::string& out, const WriteOptions& o) {
  Json images = Json::array(), annotations = Json::array();
  std::int64_t image_id = 0, ann_id = 0;
  auto keypoints_json = [](const std::vector<cv::Point2f>* pts) {
    Json kp = Json::array();
    for (int i = 0; i < kDlib68Points; ++i) {
      if (pts) {
        kp.push_back((*pts)[static_cast<std::size_t>(i)].x);
        kp.push_back((*pts)[static_cast<std::size_t>(i)].y);
        kp.push_back(2);
      } else {
        kp.push_back(0);
        kp.push_back(0);
        kp.push_back(0);
      }
    }
    return kp;
  };
  auto bbox_json = [](const cv::Rect2f& r) { return Json::array({r.x, r.y, r.width, r.height}); };
  ExportPaths paths;
  for (const auto& e : entries) {
    const std::string rel = paths(export_path(e), e);
    if (Status s = copy_image(e, out, (fs::path("images") / rel).string(), o); !s) return s;
    ++image_id;
    images.push_back({{"id", image_id}, {"file_name", rel}, {"width", e.width}, {"height", e.height}});
    // One annotation per landmark set, boxed by the entry's box of the same index (the first
    // box for a single face) or else by the landmarks' bounding box; then the boxes left over,
    // with no keypoints. Only dlib-68 sets can be written; others are refused.
    std::size_t box = 0;
    for (const auto& lm : e.landmarks) {
      if (lm.layout != sdk::kLayoutDlib68 || lm.points.size() != static_cast<std::size_t>(kDlib68Points))
        return Status::unsupported(e.path + ": landmarks in layout '" + lm.layout + "' with " +
                                   std::to_string(lm.points.size()) +
                                   " points; coco-keypoints export writes the 68-point dlib layout only");
      cv::Rect2f rect;
      if (box < e.boxes.size()) {
        rect = e.boxes[box++].rect;
      } else {
        float x0 = lm.points[0].x, y0 = lm.points[0].y, x1 = x0, y1 = y0;
        for (const auto& p : lm.points) {
          x0 = std::min(x0, p.x);
          y0 = std::min(y0, p.y);
          x1 = std::max(x1, p.x);
          y1 = std::max(y1, p.y);
        }
        rect = cv::Rect2f(x0, y0, x1 - x0, y1 - y0);
      }
      annotations.push_back({{"id", ++ann_id}, {"image_id", image_id}, {"category_id", 1},
                             {"keypoints", keypoints_json(&lm.points)}, {"num_keypoints", kDlib68Points},
                             {"bbox", bbox_json(rect)}, {"area", rect.width * rect.height}, {"iscrowd", 0}});
    }
    for (; box < e.boxes.size(); ++box) {
      const auto& rect = e.boxes[box].rect;
      annotations.push_back({{"id", ++ann_id}, {"image_id", image_id}, {"category_id", 1},
                             {"keypoints", keypoints_json(nullptr)}, {"num_keypoints", 0},
                             {"bbox", bbox_json(rect)}, {"area", rect.width * rect.height}, {"iscrowd", 0}});
    }
  }
  // dlib's 68-point connections: each region's points in order, eyes and lips closed.
  Json skeleton = Json::array();
  auto chain = [&](int from, int to, bool closed) {
    for (int i = from; i < to; ++i) skeleton.push_back({i + 1, i + 2});  // COCO skeletons are 1-based
    if (closed) skeleton.push_back({to + 1, from + 1});
  };
  chain(0, 16, false);
  chain(17, 21, false);
  chain(22, 26, false);
  chain(27, 30, false);
  chain(31, 35, false);
  chain(36, 41, true);
  chain(42, 47, true);
  chain(48, 59, true);
  chain(60, 67, true);
  Json doc = {{"info", {{"description", "exported by Kohl"}, {"landmark_layout", sdk::kLayoutDlib68}}},
              {"images", images},
              {"annotations", annotations},
              {"categories", Json::array({{{"id", 1}, {"name", "face"}, {"supercategory", "face"},
                                           {"keypoints", dlib68_keypoint_names()}, {"skeleton", skeleton}}})}};
  const fs::path path = fs::path(out) / "annotations.json";
  std::ofstream f(path, std::ios::binary);
  f << doc.dump(1) << "\n";
  if (!f) return Status::io_error(path.string() + ": cannot write");
  return Status::ok();
}

}  // namespace kohl::core::formats
