// Dataset formats on the fixtures in datasets/fixtures/ (made by make_fixtures.py): every
// reader against what the script wrote, the import into a real project, export + import
// round trips per format, every bad case reported by file and reason with the rest imported,
// duplicates, and a cancelled import leaving the project as it was.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <memory>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "kohl/core/data_store.hpp"
#include "kohl/core/formats.hpp"
#include "kohl/core/image_probe.hpp"
#include "kohl/core/project.hpp"
#include "kohl/sdk/layouts.hpp"
#include "test_support.hpp"

using namespace kohl;
namespace fs = std::filesystem;
using sdk::Json;

namespace {

std::string fixture(const std::string& name) { return (test::source_dir() / "datasets" / "fixtures" / name).string(); }

Json read_json(const std::string& path) { return Json::parse(test::read_file(path)); }

// A new project in a scratch folder, with its DataStore.
struct TestProject {
  test::ScratchDir dir;
  std::unique_ptr<core::Project> project;
  std::unique_ptr<core::DataStore> store;

  explicit TestProject(const std::string& name) : dir("formats-" + name) {
    auto p = core::Project::create((dir / "p.kohl").string(), name);
    REQUIRE(p.is_ok());
    project = std::move(p).value();
    store = std::make_unique<core::DataStore>(*project);
  }

  core::ImportReport ingest(core::ImportBatch batch, sdk::IProgress* progress = nullptr) {
    sdk::NullProgress none;
    auto r = store->ingest(std::move(batch), {}, progress ? *progress : none);
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return r.value();
  }

  core::ImportReport ingest(const std::string& format, const std::string& src, const core::ReadOptions& o = {}) {
    auto b = core::read_dataset(format, src, o);
    INFO(b.status().message());
    REQUIRE(b.is_ok());
    return ingest(std::move(b).value());
  }

  std::int64_t image_count() { return project->db().execAndGet("SELECT COUNT(*) FROM images").getInt64(); }
};

std::string errors_text(const std::vector<core::ImportError>& errors) {
  std::string s;
  for (const auto& e : errors) s += e.file + ": " + e.reason + "\n";
  return s;
}

// Entries by their path relative to the dataset root.
std::map<std::string, core::ImageEntry> by_rel(const std::vector<core::ImageEntry>& entries) {
  std::map<std::string, core::ImageEntry> m;
  for (const auto& e : entries) m[e.rel_path] = e;
  return m;
}

std::map<std::string, core::ImageEntry> by_hash(const std::vector<core::ImageEntry>& entries) {
  std::map<std::string, core::ImageEntry> m;
  for (const auto& e : entries) m[e.hash] = e;
  return m;
}

bool same_points(const std::vector<cv::Point2f>& a, const std::vector<cv::Point2f>& b, double tol = 1e-3) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i].x - b[i].x) > tol || std::abs(a[i].y - b[i].y) > tol) return false;
  return true;
}

bool same_points(const std::vector<cv::Point2f>& a, const Json& b, double tol = 1e-3) {
  std::vector<cv::Point2f> pts;
  for (const auto& p : b) pts.emplace_back(p.at(0).get<float>(), p.at(1).get<float>());
  return same_points(a, pts, tol);
}

bool same_landmarks(const std::vector<sdk::Landmarks>& a, const std::vector<sdk::Landmarks>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].layout != b[i].layout || !same_points(a[i].points, b[i].points)) return false;
  return true;
}

bool same_boxes(const std::vector<sdk::Box>& a, const std::vector<sdk::Box>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto &x = a[i].rect, &y = b[i].rect;
    if (std::abs(x.x - y.x) > 1e-3 || std::abs(x.y - y.y) > 1e-3 || std::abs(x.width - y.width) > 1e-3 ||
        std::abs(x.height - y.height) > 1e-3 || a[i].label != b[i].label || std::abs(a[i].score - b[i].score) > 1e-6)
      return false;
  }
  return true;
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  if (a.empty() || b.empty() || a.size() != b.size() || a.type() != b.type()) return false;
  return cv::countNonZero(a != b) == 0;
}

cv::Mat read_png(const std::string& path) { return cv::imread(path, cv::IMREAD_UNCHANGED); }

// The hash of an entry's pair partner ("" when unpaired).
std::string partner_hash(const core::ImageEntry& e, const std::vector<core::ImageEntry>& all) {
  if (e.pair_group.empty()) return "";
  for (const auto& o : all)
    if (o.id != e.id && o.pair_group == e.pair_group) return o.hash;
  return "";
}

core::WriteOptions write_options(const core::DataStore& store) {
  core::WriteOptions w;
  w.read_image = [](const core::ImageEntry& e, std::vector<std::uint8_t>& out) { return core::read_file_bytes(e.path, out); };
  w.sources = store.sources();
  return w;
}

using test::CancelAfter;

}  // namespace

// ---- each import format ---------------------------------------------------------------------

TEST_CASE("folder: sub-folders name the classes; a second import adds nothing", "[formats]") {
  auto batch = core::read_dataset("folder", fixture("folder"), {});
  REQUIRE(batch.is_ok());
  CHECK(batch->errors.empty());
  REQUIRE(batch->entries.size() == 6);
  for (const auto& e : batch->entries) {
    const std::string cls = fs::path(e.rel_path).begin()->string();
    CHECK(e.labels.at("class") == cls);
    CHECK(fs::path(e.path).is_absolute());
  }
  CHECK(batch->entries[0].rel_path == "monk_3/1.jpg");

  TestProject p("folder");
  auto report = p.ingest("folder", fixture("folder"));
  INFO(errors_text(report.errors));
  CHECK(report.imported == 6);
  CHECK(report.errors.empty());
  CHECK(report.dataset == "folder");
  const auto stored = p.store->entries({}, true);
  REQUIRE(stored.size() == 6);
  for (const auto& e : stored) {
    CHECK(e.labels.at("class") == fs::path(e.rel_path).begin()->string());
    CHECK(e.format == "jpeg");
    CHECK(e.width == 64);
    CHECK(e.height == 64);
    CHECK(e.hash.size() == 32);
    CHECK_FALSE(e.mask);
    CHECK(e.landmarks.empty());
    CHECK(e.annotator == "import:folder");
  }
  CHECK(p.store->label_sets().at("class") == std::vector<std::string>{"monk_3", "monk_5", "monk_7"});

  // The same files again: all duplicates, nothing added.
  auto again = p.ingest("folder", fixture("folder"));
  CHECK(again.imported == 0);
  CHECK(again.duplicates == 6);
  CHECK(again.skipped == 6);
  CHECK(p.image_count() == 6);
  CHECK(p.project->integrity_check() == "ok");
}

TEST_CASE("folder listing: sorted image files, hidden and other files skipped, symlinks followed or reported",
          "[formats]") {
  test::ScratchDir d("listing");
  const fs::path root = d.path() / "src";
  const auto touch = [](const fs::path& f) {
    fs::create_directories(f.parent_path());
    std::ofstream(f) << "x";
  };
  touch(root / "b" / "2.JPG");
  touch(root / "b" / "1.png");
  touch(root / "a.b" / "3.webp");  // '.' sorts before '/': "a.b/3.webp" < "a/..." in full paths
  touch(root / "a" / "4.jpeg");
  touch(root / "a" / "notes.txt");
  touch(root / "a" / ".hidden.jpg");
  touch(root / ".cache" / "5.jpg");
  touch(d.path() / "elsewhere" / "6.bmp");
  fs::create_directory_symlink(d.path() / "elsewhere", root / "linked");
  fs::create_symlink(root / "a" / "4.jpeg", root / "a" / "alias.jpg");
  fs::create_symlink(root / "missing.jpg", root / "a" / "broken.jpg");
  std::vector<core::ImportError> errors;
  const auto files = core::formats::find_image_files(root.string(), errors);
  const std::string r = root.string() + "/";
  CHECK(files == std::vector<std::string>{r + "a.b/3.webp", r + "a/4.jpeg", r + "a/alias.jpg", r + "b/1.png",
                                          r + "b/2.JPG", r + "linked/6.bmp"});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].file == r + "a/broken.jpg");
  CHECK(errors[0].reason.find("broken symlink") != std::string::npos);
  // A trailing slash on the root gives the same paths.
  errors.clear();
  CHECK(core::formats::find_image_files(r, errors) == files);
}

// The project's own indexes (name and definition), which a bulk import drops and builds again.
std::vector<std::pair<std::string, std::string>> indexes_of(SQLite::Database& db) {
  std::vector<std::pair<std::string, std::string>> out;
  SQLite::Statement q(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name");
  while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
  return out;
}

TEST_CASE("import: new projects use 64 KiB pages; foreign keys are enforced again after an import", "[formats]") {
  TestProject p("pragmas");
  auto& db = p.project->db();
  CHECK(db.execAndGet("PRAGMA page_size").getInt() == 65536);
  const auto indexes = indexes_of(db);
  CHECK(indexes.size() >= 7);  // images_dataset, _subject, _split, labels_set, landmarks, masks, boxes
  // Into an empty project: a bulk load (indexes dropped, rows written, indexes built again).
  CHECK(p.ingest("folder", fixture("folder")).imported == 6);
  CHECK(indexes_of(db) == indexes);
  CHECK(p.project->integrity_check() == "ok");  // the index entries match the rows
  CHECK(db.execAndGet("SELECT COUNT(*) FROM images INDEXED BY images_dataset WHERE dataset_id = 1").getInt64() == 6);
  // A smaller import into the larger project keeps its indexes and writes into them.
  CHECK(p.ingest("csv", fixture("csv")).imported == 3);
  CHECK(indexes_of(db) == indexes);
  CHECK(p.project->integrity_check() == "ok");
  // The import writes its rows with the checks off (every id it writes is its own); after
  // it they are on: a label for an image that does not exist is refused.
  CHECK(db.execAndGet("PRAGMA foreign_keys").getInt() == 1);
  CHECK_THROWS(db.exec("INSERT INTO labels(image_id, label_set_id, class) VALUES (999999, 1, 'x')"));
  SQLite::Statement fk(db, "PRAGMA foreign_key_check");
  CHECK_FALSE(fk.executeStep());  // no row breaks a foreign key
}

TEST_CASE("csv: labels, numeric and categorical attributes, quoted commas, subject, split", "[formats]") {
  auto batch = core::read_dataset("csv", fixture("csv"), {});
  REQUIRE(batch.is_ok());
  CHECK(batch->errors.empty());
  REQUIRE(batch->entries.size() == 3);

  TestProject p("csv");
  auto report = p.ingest("csv", fixture("csv"));
  INFO(errors_text(report.errors));
  CHECK(report.imported == 3);
  auto stored = by_rel(p.store->entries({}, true));
  REQUIRE(stored.size() == 3);
  const auto& a = stored.at("images/001.jpg");
  const auto& b = stored.at("images/002.jpg");
  const auto& c = stored.at("images/003.png");
  CHECK(a.labels.at("skin_tone_monk") == "4");
  CHECK(c.labels.at("skin_tone_monk") == "8");
  CHECK(std::get<double>(a.attributes.at("ita")) == 41.5);
  CHECK(std::get<double>(b.attributes.at("ita")) == 40.25);
  CHECK(std::get<double>(c.attributes.at("ita")) == -12.75);
  CHECK(std::get<std::string>(a.attributes.at("undertone")) == "warm");
  CHECK(std::get<std::string>(b.attributes.at("undertone")) == "neutral, olive");
  CHECK(std::get<std::string>(c.attributes.at("undertone")) == "cool");
  CHECK(a.subject == "s01");
  CHECK(b.subject == "s01");
  CHECK(c.subject == "s02");
  CHECK(a.split == "train");
  CHECK(b.split == "val");
  CHECK(c.split == "test");
  CHECK(a.format == "jpeg");
  CHECK(c.format == "png");
  CHECK(p.store->label_sets().at("skin_tone_monk") == std::vector<std::string>{"4", "8"});
  CHECK(p.store->summary()["subjects"] == 2);
}

TEST_CASE("mt: makeup label and mt-14 masks with the drawn regions", "[formats]") {
  auto batch = core::read_dataset("mt", fixture("mt"), {});
  REQUIRE(batch.is_ok());
  CHECK(batch->errors.empty());
  REQUIRE(batch->entries.size() == 4);
  for (const auto& e : batch->entries) {
    CHECK(e.mask_label_map == sdk::kLabelMapMt14);
    CHECK(fs::exists(e.mask_file));
  }

  TestProject p("mt");
  auto report = p.ingest("mt", fixture("mt"));
  INFO(errors_text(report.errors));
  CHECK(report.imported == 4);
  auto stored = by_rel(p.store->entries({}, true));
  REQUIRE(stored.size() == 4);
  for (const auto& [rel, e] : stored) {
    INFO(rel);
    const std::string cls = rel.find("non-makeup") != std::string::npos ? "non-makeup" : "makeup";
    CHECK(e.labels.at("makeup") == cls);
    REQUIRE(e.mask);
    CHECK(e.mask->label_map == sdk::kLabelMapMt14);
    const auto seg = fixture("mt") + "/segs/" + cls + "/" + fs::path(rel).filename().string();
    CHECK(same_pixels(e.mask->labels, read_png(seg)));
    for (int label : {1, 2, 3, 4, 5, 6, 7, 9, 10, 13}) {
      INFO("label " << label);
      CHECK(cv::countNonZero(e.mask->labels == label) > 0);
    }
  }
  CHECK(p.store->label_sets().at("makeup") == std::vector<std::string>{"non-makeup", "makeup"});
  CHECK(p.store->sources().begin()->second.license.find("research") != std::string::npos);
}

TEST_CASE("celebamask: 19-label masks as they are, and remapped to mt-14 by PSGAN's table", "[formats]") {
  const auto root = fixture("celebamask");
  {
    TestProject p("celebamask");
    auto report = p.ingest("celebamask", root);
    INFO(errors_text(report.errors));
    CHECK(report.imported == 2);
    for (const auto& e : p.store->entries({}, true)) {
      REQUIRE(e.mask);
      CHECK(e.mask->label_map == sdk::kLabelMapCelebA19);
      CHECK(same_pixels(e.mask->labels, read_png(root + "/masks/" + fs::path(e.rel_path).stem().string() + ".png")));
    }
  }
  TestProject p("celebamask-mt");
  core::ReadOptions o;
  o.remap_to = sdk::kLabelMapMt14;
  auto report = p.ingest("celebamask", root, o);
  INFO(errors_text(report.errors));
  CHECK(report.imported == 2);
  const auto stored = p.store->entries({}, true);
  REQUIRE(stored.size() == 2);
  for (const auto& e : stored) {
    INFO(e.rel_path);
    REQUIRE(e.mask);
    CHECK(e.mask->label_map == sdk::kLabelMapMt14);
    const cv::Mat raw = read_png(root + "/masks/" + fs::path(e.rel_path).stem().string() + ".png");
    REQUIRE(raw.size() == e.mask->labels.size());
    cv::Mat expected(raw.size(), CV_8U);
    for (int y = 0; y < raw.rows; ++y)
      for (int x = 0; x < raw.cols; ++x) expected.at<std::uint8_t>(y, x) = sdk::kCelebA19ToMt14.at(raw.at<std::uint8_t>(y, x));
    CHECK(same_pixels(e.mask->labels, expected));
    // The remaps that matter most, spelled out: u_lip 12 -> 7, l_lip 13 -> 9, nose 10 -> 6, hair 17 -> 10.
    for (auto [from, to] : std::vector<std::pair<int, int>>{{12, 7}, {13, 9}, {10, 6}, {17, 10}, {11, 8}, {14, 13}}) {
      INFO(from << " -> " << to);
      const cv::Mat where = raw == from;
      REQUIRE(cv::countNonZero(where) > 0);
      CHECK(cv::countNonZero(where & (e.mask->labels != to)) == 0);
      CHECK(cv::countNonZero(e.mask->labels == to) == cv::countNonZero(where));
    }
  }
}

TEST_CASE("coco-keypoints: 68 keypoints become dlib-68 landmarks, bboxes become boxes", "[formats]") {
  const auto root = fixture("coco-keypoints");
  const Json doc = read_json(root + "/annotations.json");
  auto batch = core::read_dataset("coco-keypoints", root, {});
  REQUIRE(batch.is_ok());
  CHECK(batch->errors.empty());
  REQUIRE(batch->entries.size() == 2);

  TestProject p("coco");
  auto report = p.ingest("coco-keypoints", root);
  INFO(errors_text(report.errors));
  CHECK(report.imported == 2);
  auto stored = by_rel(p.store->entries({}, true));
  REQUIRE(stored.size() == 2);
  for (const auto& ann : doc["annotations"]) {
    const std::string file = "images/face" + std::to_string(ann["image_id"].get<int>()) + ".png";
    INFO(file);
    const auto& e = stored.at(file);
    REQUIRE(e.landmarks.size() == 1);
    CHECK(e.landmarks[0].layout == sdk::kLayoutDlib68);
    const auto& kp = ann["keypoints"];
    REQUIRE(e.landmarks[0].points.size() == 68);
    for (std::size_t i = 0; i < 68; ++i) {
      CHECK(e.landmarks[0].points[i].x == Approx(kp[3 * i].get<double>()).margin(1e-4));
      CHECK(e.landmarks[0].points[i].y == Approx(kp[3 * i + 1].get<double>()).margin(1e-4));
    }
    REQUIRE(e.boxes.size() == 1);
    const auto& bb = ann["bbox"];
    CHECK(same_boxes(e.boxes, {{cv::Rect2f(bb[0].get<float>(), bb[1].get<float>(), bb[2].get<float>(), bb[3].get<float>()),
                                "face", 1.0f}}));
  }
  // Image 1's point 0 is marked v=0: its x, y are kept all the same.
  CHECK(doc["annotations"][0]["keypoints"][2] == 0);
  CHECK(stored.at("images/face1.png").landmarks[0].points[0].x == Approx(doc["annotations"][0]["keypoints"][0].get<double>()));
}

TEST_CASE("coco-keypoints: per-image problems are reported with the JSON file and ids; bad JSON stops the import",
          "[formats]") {
  test::ScratchDir dir("formats-coco-bad");
  const auto src = fixture("coco-keypoints");
  fs::create_directories(dir / "images");
  fs::copy_file(src + "/images/face1.png", dir / "images/face1.png");
  fs::copy_file(src + "/images/face2.png", dir / "images/face2.png");
  Json doc = read_json(src + "/annotations.json");
  doc["images"].push_back({{"id", 3}, {"file_name", "gone.png"}, {"width", 64}, {"height", 64}});
  Json orphan = doc["annotations"][0];
  orphan["id"] = 900;
  orphan["image_id"] = 42;
  doc["annotations"].push_back(orphan);
  doc["annotations"][1]["keypoints"].erase(doc["annotations"][1]["keypoints"].size() - 1);  // 203 numbers
  std::ofstream(dir / "annotations.json") << doc.dump();

  auto b = core::read_dataset("coco-keypoints", dir.path().string(), {});
  REQUIRE(b.is_ok());
  const std::string json_path = (dir / "annotations.json").string();
  INFO(errors_text(b->errors));
  REQUIRE(b->entries.size() == 1);
  CHECK(b->entries[0].rel_path == "images/face1.png");
  REQUIRE(b->errors.size() == 3);
  for (const auto& e : b->errors) CHECK(e.file == json_path);
  CHECK(b->errors[0].reason.find("image 3 (gone.png): no such file") != std::string::npos);
  CHECK(b->errors[1].reason.find("annotation 900: image_id 42 is not in 'images'") != std::string::npos);
  CHECK(b->errors[2].reason.find("annotation 102 (image 2") != std::string::npos);
  CHECK(b->errors[2].reason.find("203 numbers, not a multiple of 3") != std::string::npos);

  // Malformed JSON: the whole import is refused, naming the file and the problem.
  std::ofstream(dir / "annotations.json", std::ios::trunc) << "{\"images\": [{\"id\": 1,, }";
  auto bad = core::read_dataset("coco-keypoints", dir.path().string(), {});
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find(json_path + ": not valid JSON") == 0);
  CHECK(bad.status().message().find("line 1") != std::string::npos);
}

TEST_CASE("kohl: every annotation of the format arrives in the project", "[formats]") {
  const auto root = fixture("kohl");
  std::vector<Json> records;
  {
    std::istringstream in(test::read_file(root + "/annotations.jsonl"));
    for (std::string line; std::getline(in, line);) records.push_back(Json::parse(line));
  }
  REQUIRE(records.size() == 3);

  TestProject p("kohl");
  auto report = p.ingest("kohl", root);
  INFO(errors_text(report.errors));
  CHECK(report.imported == 3);
  CHECK(report.errors.empty());
  const auto all = p.store->entries({}, true);
  auto stored = by_rel(all);
  REQUIRE(stored.size() == 3);
  for (const auto& r : records) {
    const std::string file = r["file"];
    INFO(file);
    const auto& e = stored.at(file);
    CHECK(e.subject == r["subject"].get<std::string>());
    CHECK(e.split == r["split"].get<std::string>());
    CHECK(e.review == r["review"].get<std::string>());
    CHECK(e.reviewer == r["reviewer"].get<std::string>());
    CHECK(e.annotator == "person:ana");
    for (const auto& [k, v] : r["labels"].items()) CHECK(e.labels.at(k) == v.get<std::string>());
    CHECK(e.labels.size() == r["labels"].size());
    CHECK(std::get<double>(e.attributes.at("ita")) == r["attributes"]["ita"].get<double>());
    CHECK(std::get<std::string>(e.attributes.at("undertone")) == r["attributes"]["undertone"].get<std::string>());
    REQUIRE(e.landmarks.size() == r["landmarks"].size());
    if (!e.landmarks.empty()) {
      CHECK(e.landmarks[0].layout == "dlib-68");
      CHECK(same_points(e.landmarks[0].points, r["landmarks"][0]["points"]));
    }
    REQUIRE(e.boxes.size() == 1);
    const auto& bb = r["boxes"][0]["box"];
    CHECK(same_boxes(e.boxes, {{cv::Rect2f(bb[0].get<float>(), bb[1].get<float>(), bb[2].get<float>(), bb[3].get<float>()),
                                "face", 1.0f}}));
    if (r.contains("mask")) {
      REQUIRE(e.mask);
      CHECK(e.mask->label_map == "mt-14");
      CHECK(same_pixels(e.mask->labels, read_png(root + "/" + r["mask"].get<std::string>())));
    } else {
      CHECK_FALSE(e.mask);
    }
  }
  // The bare/makeup pair.
  const auto& bare = stored.at("images/a.png");
  const auto& made_up = stored.at("images/b.png");
  CHECK(bare.pair_role == "bare");
  CHECK(made_up.pair_role == "makeup");
  CHECK(bare.pair_group == made_up.pair_group);
  CHECK(stored.at("images/c.jpg").pair_group.empty());
  CHECK(p.store->summary()["pairs"]["bare_makeup"] == 1);
  // Source terms, declared label sets (in their order) and the user label map.
  const auto sources = p.store->sources();
  REQUIRE(sources.count("kohl-synthetic"));
  CHECK(sources.at("kohl-synthetic").synthetic);
  CHECK(sources.at("kohl-synthetic").license == "CC0-1.0 (synthetic test data)");
  CHECK(sources.at("kohl-synthetic").consent == "synthetic: no person");
  CHECK(p.store->label_sets().at("skin_tone_monk") ==
        std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"});
  CHECK(p.store->label_sets().at("makeup") == std::vector<std::string>{"non-makeup", "makeup"});
  CHECK(p.store->label_maps().at("lips-3") == std::vector<std::string>{"background", "upper_lip", "lower_lip"});
}

// ---- export, then import into a new project ------------------------------------------------

TEST_CASE("export then import keeps every annotation the format can carry", "[formats]") {
  TestProject src("roundtrip-src");
  src.ingest("kohl", fixture("kohl"));
  // Mixed provenance on the first image: one label and one attribute made by others.
  {
    const auto first = src.store->entries().front();
    REQUIRE(first.labels.size() >= 1);
    REQUIRE(src.store->set_label(first.id, first.labels.begin()->first, first.labels.begin()->second, "person:bo"));
    REQUIRE(src.store->set_attribute(first.id, "undertone", std::string("warm"), "auto:org.test.tone@1"));
  }
  const auto original = src.store->entries({}, true);
  REQUIRE(original.size() == 3);
  CHECK(original[0].annotator == "person:ana");
  CHECK(original[0].annotators ==
        std::map<std::string, std::string>{{"labels." + original[0].labels.begin()->first, "person:bo"},
                                           {"attributes.undertone", "auto:org.test.tone@1"}});
  CHECK(original[0].annotator_of("attributes.ita") == "person:ana");
  // Snapshots freeze the provenance too.
  REQUIRE(src.store->snapshot("v1").is_ok());
  const auto frozen = src.store->snapshot_entries("v1");
  REQUIRE(frozen.is_ok());
  for (const auto& f : frozen.value())
    if (f.hash == original[0].hash) CHECK(f.annotators == original[0].annotators);
  const auto label_sets = src.store->label_sets();
  const auto label_maps = src.store->label_maps();

  for (const std::string format : {"kohl", "csv", "coco-keypoints", "folder"}) {
    DYNAMIC_SECTION(format) {
      auto w = write_options(*src.store);
      core::ReadOptions r;
      if (format == "folder") w.label_set = r.label_set = "skin_tone_monk";
      TestProject dst("roundtrip-" + format);
      const auto out = (dst.dir / "export").string();
      auto written = core::write_dataset(format, original, label_sets, label_maps, out, w);
      INFO(written.status().message());
      REQUIRE(written.is_ok());
      CHECK(written.value()["images"] == 3);
      // Export never overwrites.
      CHECK_FALSE(core::write_dataset(format, original, label_sets, label_maps, out, w).is_ok());

      auto report = dst.ingest(format, out, r);
      INFO(errors_text(report.errors));
      CHECK(report.imported == 3);
      CHECK(report.errors.empty());
      const auto back_all = dst.store->entries({}, true);
      auto back = by_hash(back_all);
      REQUIRE(back.size() == 3);
      for (const auto& e : original) {
        INFO(e.rel_path);
        REQUIRE(back.count(e.hash));
        const auto& x = back.at(e.hash);
        if (format == "kohl") {
          CHECK(x.labels == e.labels);
          CHECK(x.attributes == e.attributes);
          CHECK(same_landmarks(x.landmarks, e.landmarks));
          CHECK(same_boxes(x.boxes, e.boxes));
          CHECK(x.subject == e.subject);
          CHECK(x.split == e.split);
          CHECK(x.review == e.review);
          CHECK(x.reviewer == e.reviewer);
          CHECK(x.annotator == e.annotator);
          CHECK(x.annotators == e.annotators);
          CHECK(x.pair_role == e.pair_role);
          CHECK(partner_hash(x, back_all) == partner_hash(e, original));
          CHECK(x.mask.has_value() == e.mask.has_value());
          if (x.mask && e.mask) {
            CHECK(x.mask->label_map == e.mask->label_map);
            CHECK(same_pixels(x.mask->labels, e.mask->labels));
          }
        } else if (format == "csv") {
          CHECK(x.labels == e.labels);
          CHECK(x.attributes == e.attributes);
          CHECK(x.subject == e.subject);
          CHECK(x.split == e.split);
          CHECK(x.review == e.review);
        } else if (format == "coco-keypoints") {
          CHECK(same_landmarks(x.landmarks, e.landmarks));
          CHECK(same_boxes(x.boxes, e.boxes));
        } else {
          CHECK(x.labels.at("skin_tone_monk") == e.labels.at("skin_tone_monk"));
        }
      }
      if (format == "kohl") {
        const auto s = dst.store->sources();
        REQUIRE(s.count("kohl-synthetic"));
        CHECK(s.at("kohl-synthetic").synthetic);
        CHECK(s.at("kohl-synthetic").license == "CC0-1.0 (synthetic test data)");
        CHECK(s.at("kohl-synthetic").consent == "synthetic: no person");
        CHECK(dst.store->label_sets() == label_sets);
        CHECK(dst.store->label_maps() == label_maps);
        CHECK(dst.store->summary()["pairs"]["bare_makeup"] == 1);
      }
      CHECK(dst.project->integrity_check() == "ok");
    }
  }
}

TEST_CASE("coco-keypoints: writer boxes landmarks without a box and writes box-only faces without keypoints",
          "[formats]") {
  test::ScratchDir dir("formats-coco-write");
  core::ImageEntry e;
  e.path = fixture("coco-keypoints") + "/images/face1.png";
  e.rel_path = "face1.png";
  e.dataset = "d";
  e.width = e.height = 64;
  sdk::Landmarks lm{sdk::kLayoutDlib68, {}};
  for (int i = 0; i < 68; ++i) lm.points.emplace_back(10.125f + 0.5f * static_cast<float>(i % 17), 20.3f + 0.25f * static_cast<float>(i / 17));
  e.landmarks = {lm};
  core::ImageEntry f = e;
  f.rel_path = "face1-box.png";
  f.landmarks.clear();
  f.boxes = {{cv::Rect2f(1.5f, 2.25f, 30, 40), "face", 1.0f}};
  core::WriteOptions w;
  w.read_image = [](const core::ImageEntry& x, std::vector<std::uint8_t>& out) { return core::read_file_bytes(x.path, out); };
  const auto out = (dir / "out").string();
  REQUIRE(core::write_dataset("coco-keypoints", {e, f}, {}, {}, out, w).is_ok());
  const Json doc = read_json(out + "/annotations.json");
  REQUIRE(doc["annotations"].size() == 2);
  CHECK(doc["categories"][0]["keypoints"].size() == 68);
  CHECK(doc["annotations"][0]["num_keypoints"] == 68);
  CHECK(doc["annotations"][0]["bbox"][0].get<double>() == Approx(10.125));
  CHECK(doc["annotations"][0]["bbox"][2].get<double>() == Approx(8.0));
  CHECK(doc["annotations"][1]["num_keypoints"] == 0);
  for (const auto& v : doc["annotations"][1]["keypoints"]) CHECK(v == 0);
  CHECK(doc["images"][1]["file_name"] == "d/face1-box.png");

  auto b = core::read_dataset("coco-keypoints", out, {});
  REQUIRE(b.is_ok());
  REQUIRE(b->entries.size() == 2);
  CHECK(same_landmarks(b->entries[0].landmarks, e.landmarks));
  REQUIRE(b->entries[0].boxes.size() == 1);
  CHECK(b->entries[1].landmarks.empty());
  CHECK(same_boxes(b->entries[1].boxes, f.boxes));
}

// ---- bad inputs -----------------------------------------------------------------------------

TEST_CASE("every bad fixture is reported by file and reason, and the rest is imported", "[formats]") {
  struct Case {
    std::string dir, format, file, words;
    int good;
  };
  const std::vector<Case> cases = {
      {"corrupt-image", "folder", "monk_3/corrupt.jpg", "corrupt JPEG", 1},
      {"truncated-image", "folder", "monk_3/truncated.jpg", "truncated", 1},
      {"unsupported", "folder", "monk_3/face.gif", "unsupported image format", 1},
      {"huge-header", "folder", "monk_3/huge.png", "over the cap", 1},
      {"csv-wrong-fields", "csv", "labels.csv:4", "fields", 2},
      {"mask-size", "mt", "images/non-makeup/n1.png", "is 40x40, the image is 64x64", 1},
      {"mask-label", "mt", "images/non-makeup/n1.png", "outside label map", 1},
      {"landmark-count", "coco-keypoints", "annotations.json", "only 68", 1},
      {"kohl-half-written", "kohl", "annotations.jsonl:3", "not valid JSON", 2},
      {"symlink-loop", "folder", "monk_3/loop", "symlink loop", 1},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.dir) {
      const auto root = fixture("bad/" + c.dir);
      TestProject p("bad-" + c.dir);
      auto report = p.ingest(c.format, root);
      INFO(errors_text(report.errors));
      REQUIRE(report.errors.size() == 1);
      CHECK(report.errors[0].file == root + "/" + c.file);
      CHECK(report.errors[0].reason.find(c.words) != std::string::npos);
      CHECK(report.imported == c.good);
      CHECK(p.image_count() == c.good);
      CHECK(p.project->integrity_check() == "ok");
    }
  }
}

TEST_CASE("bad fixtures: the reasons name what is wrong", "[formats]") {
  TestProject p("bad-details");
  auto r = p.ingest("coco-keypoints", fixture("bad/landmark-count"));
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].reason.find("annotation 102 (image 2, images/face2.png): 5 keypoints") != std::string::npos);
  auto h = p.ingest("folder", fixture("bad/huge-header"));
  REQUIRE(h.errors.size() == 1);
  CHECK(h.errors[0].reason.find("9000") != std::string::npos);
}

// ---- cancelling -----------------------------------------------------------------------------

TEST_CASE("a cancelled import leaves the project unchanged", "[formats]") {
  // 6 images, read and written in one pipelined phase: cancelled early (after 1) or late
  // (after 5, with most rows already written inside the transaction).
  for (int after : {1, 5}) {
    DYNAMIC_SECTION("cancelled after " << after << " steps") {
      TestProject p("cancel"), fresh("cancel-fresh");
      auto b = core::read_dataset("folder", fixture("folder"), {});
      REQUIRE(b.is_ok());
      CancelAfter progress(after);
      sdk::Result<core::ImportReport> r = p.store->ingest(std::move(b).value(), {}, progress);
      REQUIRE_FALSE(r.is_ok());
      CHECK(r.status().code() == sdk::StatusCode::kCancelled);
      CHECK(p.project->integrity_check() == "ok");
      CHECK(p.image_count() == 0);
      auto& db = p.project->db();
      CHECK(db.execAndGet("SELECT COUNT(*) FROM datasets").getInt64() == 0);
      CHECK(db.execAndGet("SELECT COUNT(*) FROM sources").getInt64() == 0);
      CHECK(db.execAndGet("SELECT COUNT(*) FROM labels").getInt64() == 0);
      CHECK(db.execAndGet("SELECT COUNT(*) FROM label_sets").getInt64() == 0);
      // The bulk load dropped the indexes inside the transaction: they are all back.
      CHECK(indexes_of(db) == indexes_of(fresh.project->db()));
      // The same import, not cancelled, then works.
      auto again = p.ingest("folder", fixture("folder"));
      CHECK(again.imported == 6);
    }
  }
}
