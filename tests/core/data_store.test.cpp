// DataStore on real project files: undo/redo of edits, reproducible and subject-disjoint
// splits, frozen snapshots, ls/stats counts, relink, re-import adding nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "kohl/core/data_store.hpp"
#include "kohl/core/formats.hpp"
#include "kohl/core/runs.hpp"
#include "test_support.hpp"

using namespace kohl;
using sdk::Json;

namespace {

// Writes `n` small synthetic JPEGs (different content each) as a csv dataset:
// subject s<i % subjects>, label skin_tone_monk = 1 + i % 3, attr ita = i * 1.5.
std::string make_csv_dataset(const std::filesystem::path& dir, int n, int subjects) {
  std::filesystem::create_directories(dir / "images");
  std::ofstream csv(dir / "labels.csv");
  csv << "path,subject,label.skin_tone_monk,attr.ita,attr.undertone\n";
  for (int i = 0; i < n; ++i) {
    cv::Mat img(32, 32, CV_8UC3, cv::Scalar(20 + i % 200, 40 + (i * 7) % 200, 60 + (i * 13) % 190));
    cv::circle(img, cv::Point(i % 32, (i * 3) % 32), 5, cv::Scalar(255, 255, 255), -1);
    const std::string name = "img" + std::to_string(i) + ".jpg";
    REQUIRE(cv::imwrite((dir / "images" / name).string(), img));
    csv << "images/" << name << ",s" << (i % subjects) << "," << (1 + i % 3) << "," << i * 1.5 << ","
        << (i % 2 ? "warm" : "cool") << "\n";
  }
  return dir.string();
}

struct Fixture {
  test::ScratchDir dir{"data"};
  std::unique_ptr<core::Project> project;
  std::unique_ptr<core::DataStore> store;
  explicit Fixture(int n = 30, int subjects = 10) {
    auto p = core::Project::create((dir / "p.kohl").string(), "data test");
    REQUIRE(p.is_ok());
    project = std::move(p).value();
    store = std::make_unique<core::DataStore>(*project);
    auto batch = core::read_dataset("csv", make_csv_dataset(dir / "src", n, subjects), {});
    REQUIRE(batch.is_ok());
    sdk::NullProgress progress;
    auto r = store->ingest(std::move(batch).value(), {}, progress);
    REQUIRE(r.is_ok());
    REQUIRE(r->imported == n);
  }
  ~Fixture() { CHECK(project->integrity_check() == "ok"); }
};

std::map<std::int64_t, std::string> splits_of(core::DataStore& s) {
  std::map<std::int64_t, std::string> m;
  for (const auto& e : s.entries()) m[e.id] = e.split;
  return m;
}

}  // namespace

TEST_CASE("import stores annotations; importing again adds nothing", "[data_store]") {
  Fixture f(12, 4);
  auto all = f.store->entries();
  REQUIRE(all.size() == 12);
  CHECK(all[0].labels.at("skin_tone_monk") == "1");
  CHECK(std::get<double>(all[1].attributes.at("ita")) == Approx(1.5));
  CHECK(std::get<std::string>(all[1].attributes.at("undertone")) == "warm");
  CHECK(all[5].subject == "s1");
  CHECK(all[0].format == "jpeg");
  CHECK(all[0].width == 32);
  CHECK(all[0].hash.size() == 32);
  CHECK(f.store->label_sets().at("skin_tone_monk") == std::vector<std::string>{"1", "2", "3"});

  auto again = core::read_dataset("csv", (f.dir / "src").string(), {});
  sdk::NullProgress progress;
  auto r = f.store->ingest(std::move(again).value(), {}, progress);
  REQUIRE(r.is_ok());
  CHECK(r->imported == 0);
  CHECK(r->duplicates == 12);
  CHECK(r->skipped == 12);
  CHECK(f.store->entries().size() == 12);
}

TEST_CASE("ls and stats count what is there", "[data_store]") {
  Fixture f(12, 4);
  const Json j = f.store->summary();
  CHECK(j["images"] == 12);
  CHECK(j["subjects"] == 4);
  CHECK(j["by_split"]["unassigned"] == 12);
  CHECK(j["by_label"]["skin_tone_monk"]["1"] == 4);
  CHECK(j["by_label"]["skin_tone_monk"]["3"] == 4);
  CHECK(j["by_source"]["src"] == 12);
  CHECK(j["by_dataset"]["src"] == 12);
  const Json s = f.store->stats();
  CHECK(s["attributes"]["ita"]["kind"] == "numeric");
  CHECK(s["attributes"]["ita"]["max"] == Approx(16.5));
  std::int64_t total = 0;
  for (const auto& c : s["attributes"]["ita"]["histogram"]["counts"]) total += c.get<std::int64_t>();
  CHECK(total == 12);
  CHECK(s["attributes"]["undertone"]["counts"]["warm"] == 6);
}

TEST_CASE("edits are undone and redone, and a new edit forgets the redo", "[data_store]") {
  Fixture f(3, 3);
  const auto id = f.store->entries()[0].id;
  REQUIRE(f.store->set_label(id, "skin_tone_monk", "3", "person:ana"));
  REQUIRE(f.store->set_attribute(id, "ita", 42.0, "person:ana"));
  REQUIRE(f.store->set_review(id, "accepted", "person:bo"));
  REQUIRE(f.store->set_label(id, "makeup_style", "natural", "person:ana"));  // a new label set
  auto e = f.store->entry(id);
  CHECK(e->labels.at("skin_tone_monk") == "3");
  CHECK(e->labels.at("makeup_style") == "natural");
  CHECK(e->review == "accepted");

  CHECK(f.store->undo().value() == "label image " + std::to_string(id) + " makeup_style=natural");
  CHECK(f.store->entry(id)->labels.count("makeup_style") == 0);
  CHECK(f.store->undo().value().find("review") != std::string::npos);
  CHECK(f.store->entry(id)->review == "unreviewed");
  CHECK(f.store->undo().is_ok());
  CHECK(std::get<double>(f.store->entry(id)->attributes.at("ita")) == Approx(0.0));
  CHECK(f.store->undo().is_ok());
  CHECK(f.store->entry(id)->labels.at("skin_tone_monk") == "1");
  CHECK(f.store->undo().status().message() == "nothing to undo");

  CHECK(f.store->redo().is_ok());
  CHECK(f.store->entry(id)->labels.at("skin_tone_monk") == "3");
  CHECK(f.store->redo().is_ok());
  CHECK(std::get<double>(f.store->entry(id)->attributes.at("ita")) == Approx(42.0));
  REQUIRE(f.store->set_review(id, "rejected", "person:bo"));  // forgets the remaining redo steps
  CHECK(f.store->redo().status().message() == "nothing to redo");
  CHECK(f.store->entry(id)->review == "rejected");
  CHECK(f.store->undo().is_ok());
  CHECK(f.store->entry(id)->review == "unreviewed");

  CHECK(f.store->set_review(id, "maybe", "x").message().find("expected unreviewed, accepted or rejected") != std::string::npos);
  CHECK(f.store->set_label(999, "skin_tone_monk", "1", "x").message() == "no image with id 999 (see `kohl data ls`)");
  CHECK(f.store->set_label(id, "skin_tone_monk", "11", "x").message().find("not one of its classes (1, 2, 3)") !=
        std::string::npos);
}

TEST_CASE("undo survives closing and reopening the project", "[data_store]") {
  Fixture f(3, 3);
  const auto id = f.store->entries()[0].id;
  REQUIRE(f.store->set_label(id, "skin_tone_monk", "2", "person:ana"));
  const std::string path = f.project->path();
  f.store.reset();
  f.project.reset();
  auto reopened = core::Project::open(path);
  REQUIRE(reopened.is_ok());
  core::DataStore store(*reopened.value());
  REQUIRE(store.undo().is_ok());
  CHECK(store.entry(id)->labels.at("skin_tone_monk") == "1");
  f.project = std::move(reopened).value();
}

TEST_CASE("splits are reproducible from the seed", "[data_store]") {
  Fixture f(60, 20);
  core::SplitOptions o;
  o.seed = 7;
  auto r = f.store->split(o);
  REQUIRE(r.is_ok());
  CHECK(r.value()["train"] == 48);
  CHECK(r.value()["val"] == 6);
  CHECK(r.value()["test"] == 6);
  const auto first = splits_of(*f.store);
  REQUIRE(f.store->split(o).is_ok());
  CHECK(splits_of(*f.store) == first);
  o.seed = 8;
  REQUIRE(f.store->split(o).is_ok());
  CHECK(splits_of(*f.store) != first);
  // A split is one undo step.
  REQUIRE(f.store->undo().is_ok());
  CHECK(splits_of(*f.store) == first);
}

TEST_CASE("--by-subject keeps every subject in one split, where a plain split does not", "[data_store]") {
  Fixture f(60, 12);  // 5 images per subject
  auto subjects_in_two_splits = [&] {
    std::map<std::string, std::set<std::string>> where;
    for (const auto& e : f.store->entries()) where[e.subject].insert(e.split);
    int n = 0;
    for (const auto& [s, splits] : where) n += splits.size() > 1;
    return n;
  };
  core::SplitOptions plain;
  plain.seed = 3;
  REQUIRE(f.store->split(plain).is_ok());
  CHECK(subjects_in_two_splits() > 0);  // the leak --by-subject exists to prevent

  core::SplitOptions by_subject = plain;
  by_subject.by_subject = true;
  auto r = f.store->split(by_subject);
  REQUIRE(r.is_ok());
  CHECK(subjects_in_two_splits() == 0);
  CHECK(r.value()["units"] == 12);
  CHECK(r.value()["train"].get<int>() + r.value()["val"].get<int>() + r.value()["test"].get<int>() == 60);
  CHECK(r.value()["train"].get<int>() >= 40);
}

TEST_CASE("--stratify keeps class proportions", "[data_store]") {
  Fixture f(90, 90);
  core::SplitOptions o;
  o.seed = 11;
  o.stratify = "skin_tone_monk";
  o.ratios = {0.6, 0.2, 0.2};
  REQUIRE(f.store->split(o).is_ok());
  std::map<std::string, std::map<std::string, int>> counts;
  for (const auto& e : f.store->entries()) counts[e.split][e.labels.at("skin_tone_monk")]++;
  for (const char* cls : {"1", "2", "3"}) {
    CHECK(counts["train"][cls] == 18);
    CHECK(counts["val"][cls] == 6);
    CHECK(counts["test"][cls] == 6);
  }
  o.stratify = "nope";
  CHECK(f.store->split(o).status().message() == "--stratify: no label set 'nope' in the project");
  o.ratios = {1.0};
  o.stratify.clear();
  CHECK_FALSE(f.store->split(o).is_ok());
}

TEST_CASE("snapshots freeze annotations and split; later edits do not change them", "[data_store]") {
  Fixture f(10, 5);
  core::SplitOptions o;
  o.seed = 1;
  REQUIRE(f.store->split(o).is_ok());
  auto snap = f.store->snapshot("v1");
  REQUIRE(snap.is_ok());
  CHECK(snap->images == 10);
  CHECK(snap->digest.size() == 32);
  const auto frozen = f.store->snapshot_entries("v1").value();

  const auto id = frozen[0].id;
  const std::string old_class = frozen[0].labels.at("skin_tone_monk");
  REQUIRE(f.store->set_label(id, "skin_tone_monk", old_class == "3" ? "2" : "3", "person:ana"));
  o.seed = 99;
  REQUIRE(f.store->split(o).is_ok());

  const auto after = f.store->snapshot_entries("v1").value();
  REQUIRE(after.size() == frozen.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].split == frozen[i].split);
    CHECK(after[i].labels == frozen[i].labels);
  }
  CHECK(f.store->entry(id)->labels.at("skin_tone_monk") != old_class);  // the live data did change
  CHECK(f.store->snapshot("v1").status().message().find("exists already") != std::string::npos);
  auto train = f.store->snapshot_entries("v1", "train");
  REQUIRE(train.is_ok());
  CHECK(train->size() == 8);
  CHECK(f.store->snapshot_entries("v2").status().message().find("no snapshot named 'v2'") != std::string::npos);
  CHECK(f.store->summary()["snapshots"][0]["name"] == "v1");
}

TEST_CASE("relink finds moved files by content", "[data_store]") {
  Fixture f(6, 3);
  std::filesystem::rename(f.dir / "src", f.dir / "moved");
  sdk::NullProgress progress;
  auto r = f.store->relink((f.dir / "moved").string(), progress);
  REQUIRE(r.is_ok());
  CHECK(r.value()["relinked"] == 6);
  CHECK(r.value()["still_missing"] == 0);
  for (const auto& e : f.store->entries()) CHECK(e.path.find("/moved/") != std::string::npos);
}

TEST_CASE("thumbnails are cached beside the project and rebuildable", "[data_store]") {
  Fixture f(5, 5);
  // One big image too: the cache never keeps more than 256 px.
  {
    cv::Mat big(1200, 900, CV_8UC3, cv::Scalar(10, 200, 30));
    cv::circle(big, {450, 600}, 300, cv::Scalar(250, 250, 250), -1);
    std::filesystem::create_directories(f.dir / "big");
    REQUIRE(cv::imwrite((f.dir / "big" / "big.jpg").string(), big));
    auto b = core::read_dataset("folder", (f.dir / "big").string(), {});
    sdk::NullProgress progress;
    REQUIRE(f.store->ingest(std::move(b).value(), {}, progress)->imported == 1);
  }
  sdk::NullProgress progress;
  auto r = f.store->build_thumbnails(progress);
  REQUIRE(r.is_ok());
  CHECK(r.value()["built"] == 6);
  CHECK(r.value()["errors"].empty());
  for (const auto& e : f.store->entries()) {
    cv::Mat t = cv::imread(f.store->thumbnail_dir() + "/" + e.hash + ".jpg");
    REQUIRE_FALSE(t.empty());
    CHECK(std::max(t.cols, t.rows) == std::min(256, std::max(e.width, e.height)));
  }
  CHECK(f.store->build_thumbnails(progress).value()["cached"] == 6);
  std::filesystem::remove_all(f.store->thumbnail_dir());
  CHECK(f.store->build_thumbnails(progress).value()["built"] == 6);
  std::filesystem::remove_all(f.store->thumbnail_dir());
}

TEST_CASE("user-defined label maps and remap tables apply on import", "[data_store]") {
  test::ScratchDir dir("remap");
  auto p = core::Project::create((dir / "p.kohl").string(), "remap");
  REQUIRE(p.is_ok());
  core::DataStore store(*p.value());
  REQUIRE(store.define_label_map("lips-3", {"background", "upper_lip", "lower_lip"}));
  CHECK(store.define_label_map("mt-14", {"x"}).message().find("built-in") != std::string::npos);
  CHECK(store.define_label_map("lips-3", {"a", "b"}).message().find("cannot change") != std::string::npos);
  std::vector<int> lut(14, 0);
  lut[7] = 1;  // upper lip
  lut[9] = 2;  // lower lip
  CHECK(store.define_remap("mt-14", "lips-3", {0, 1}).message().find("needs 14 entries") != std::string::npos);
  auto bad = lut;
  bad[3] = 5;
  CHECK(store.define_remap("mt-14", "lips-3", bad).message().find("entry 3 (right_brow) is 5") != std::string::npos);
  CHECK(store.define_remap("mt-14", "nope", lut).message().find("unknown label map 'nope'") != std::string::npos);
  REQUIRE(store.define_remap("mt-14", "lips-3", lut));

  core::ReadOptions o;
  o.remap_to = "lips-3";
  auto batch = core::read_dataset("mt", (test::source_dir() / "datasets/fixtures/mt").string(), o);
  REQUIRE(batch.is_ok());
  sdk::NullProgress progress;
  auto r = store.ingest(std::move(batch).value(), {}, progress);
  REQUIRE(r.is_ok());
  CHECK(r->errors.empty());
  REQUIRE(r->imported == 4);
  for (const auto& e : store.entries({}, true)) {
    REQUIRE(e.mask.has_value());
    CHECK(e.mask->label_map == "lips-3");
    double maxv = 0;
    cv::minMaxLoc(e.mask->labels, nullptr, &maxv);
    CHECK(maxv == 2);  // both lips present, nothing else kept
    // The original mt-14 mask's upper-lip pixels are 1 now.
    cv::Mat original = cv::imread((test::source_dir() / "datasets/fixtures/mt/segs" /
                                   std::filesystem::path(e.rel_path).lexically_relative("images")).string(),
                                  cv::IMREAD_GRAYSCALE);
    REQUIRE_FALSE(original.empty());
    CHECK(cv::countNonZero(original == 7) == cv::countNonZero(e.mask->labels == 1));
    CHECK(cv::countNonZero(original == 9) == cv::countNonZero(e.mask->labels == 2));
  }
  CHECK(store.label_remaps().count({"mt-14", "lips-3"}) == 1);

  // Without a table, the mask is refused with a hint.
  core::ReadOptions none;
  none.remap_to = "celebamask-19";
  auto b2 = core::read_dataset("mt", (test::source_dir() / "datasets/fixtures/mt").string(), none);
  test::ScratchDir d2("remap2");
  auto q = core::Project::create((d2 / "q.kohl").string(), "q");
  core::DataStore s2(*q.value());
  auto r2 = s2.ingest(std::move(b2).value(), {}, progress);
  REQUIRE(r2.is_ok());
  REQUIRE(r2->errors.size() == 4);
  CHECK(r2->errors[0].reason.find("no remap table from 'mt-14' to 'celebamask-19'") != std::string::npos);
}

TEST_CASE("a missing file is reported by name and the rest is imported", "[data_store]") {
  test::ScratchDir dir("missing");
  make_csv_dataset(dir / "src", 3, 3);
  {
    std::ofstream csv(dir / "src" / "labels.csv", std::ios::app);
    csv << "images/gone.jpg,s9,1,1.0,warm\n";
  }
  auto p = core::Project::create((dir / "p.kohl").string(), "missing");
  core::DataStore store(*p.value());
  auto b = core::read_dataset("csv", (dir / "src").string(), {});
  sdk::NullProgress progress;
  auto r = store.ingest(std::move(b).value(), {}, progress);
  REQUIRE(r.is_ok());
  CHECK(r->imported == 3);
  REQUIRE(r->errors.size() == 1);
  CHECK(r->errors[0].file == (dir / "src" / "images" / "gone.jpg").string());
  CHECK(r->errors[0].reason == "no such file");
}

TEST_CASE("a subject is erased with everything derived from it, and the models trained on it are named",
          "[data_store]") {
  Fixture f(12, 4);  // subjects s0..s3, three images each (s1: img1, img5, img9)
  auto& db = f.project->db();
  std::vector<std::int64_t> gone;
  std::vector<std::string> gone_hashes;
  for (const auto& e : f.store->entries())
    if (e.subject == "s1") {
      gone.push_back(e.id);
      gone_hashes.push_back(e.hash);
    }
  REQUIRE(gone.size() == 3);
  REQUIRE(f.store->set_label(gone[0], "skin_tone_monk", "3", "person:ana"));  // undo history holds its label
  core::SplitOptions so;
  so.by_subject = true;
  so.seed = 3;
  REQUIRE(f.store->split(so).is_ok());
  REQUIRE(f.store->snapshot("v1").is_ok());
  const auto frozen = f.store->snapshot_entries("v1");
  REQUIRE(frozen.is_ok());
  std::string s1_split;
  for (const auto& e : frozen.value())
    if (e.subject == "s1") s1_split = e.split;
  core::RunStore runs(*f.project);
  REQUIRE(runs.create_run("classify", "v1", Json::object(), Json::object()).is_ok());
  std::vector<std::pair<std::int64_t, Json>> preds;
  for (const auto& e : f.store->entries()) preds.push_back({e.id, Json{{"truth", 0}}});
  auto eval = runs.add_evaluation("run-1", "v1", "test", std::nullopt, "org.test.eval@1", Json::object(), preds);
  REQUIRE(eval.is_ok());
  // Thumbnails of every image.
  std::filesystem::create_directories(f.store->thumbnail_dir());
  for (const auto& e : f.store->entries()) std::ofstream(f.store->thumbnail_dir() + "/" + e.hash + ".jpg") << "jpg";

  const auto subjects = f.store->subjects();
  REQUIRE(subjects.size() == 4);
  CHECK(subjects[1]["subject"] == "s1");
  CHECK(subjects[1]["images"] == 3);
  CHECK(subjects[1]["trained_runs"] == (s1_split == "train" ? 1 : 0));

  // A dry run says what would go and changes nothing.
  auto dry = f.store->erase_subject("s1", true, false);
  REQUIRE(dry.is_ok());
  CHECK(dry.value()["images"] == 3);
  CHECK(dry.value()["snapshots"] == Json::array({"v1"}));
  CHECK(dry.value()["evaluated_runs"] == Json::array({"run-1"}));
  CHECK(dry.value()["trained_runs"] == (s1_split == "train" ? Json::array({"run-1"}) : Json::array()));
  CHECK(dry.value()["undo_history_cleared"] == true);
  CHECK(f.store->entries().size() == 12);

  auto r = f.store->erase_subject("s1", false, false);
  REQUIRE(r.is_ok());
  CHECK(r.value()["thumbnails_removed"] == 3);
  CHECK(r.value()["wal_truncated"] == true);
  CHECK(r.value()["files_deleted"] == 0);
  REQUIRE(r.value()["files"].size() == 3);
  for (const auto& file : r.value()["files"]) CHECK(std::filesystem::exists(file.get<std::string>()));  // kept
  // Gone from the images, the snapshot, the predictions, the subjects; the rest is intact.
  CHECK(f.store->entries().size() == 9);
  for (const auto& e : f.store->entries()) CHECK(e.subject != "s1");
  CHECK(f.store->snapshot_entries("v1").value().size() == 9);
  CHECK(f.store->snapshots()[0].images == 9);
  const auto left = runs.predictions(eval.value());
  CHECK(left.size() == 9);
  for (const auto& [id, rec] : left) CHECK(std::find(gone.begin(), gone.end(), id) == gone.end());
  CHECK(f.store->subjects().size() == 3);
  for (const char* t : {"labels", "attributes", "landmarks", "masks", "boxes", "pairs"}) {
    INFO(t);
    const std::string col = std::string(t) == "pairs" ? "a" : "image_id";
    CHECK(db.execAndGet("SELECT COUNT(*) FROM " + std::string(t) + " WHERE " + col + " NOT IN (SELECT id FROM images)")
              .getInt64() == 0);
  }
  for (const auto& h : gone_hashes) CHECK_FALSE(std::filesystem::exists(f.store->thumbnail_dir() + "/" + h + ".jpg"));
  // The undo history could have brought a label back: it is gone.
  CHECK_FALSE(f.store->undo().is_ok());
  // The erasure is on record, without annotations.
  CHECK(db.execAndGet("SELECT COUNT(*) FROM meta WHERE key LIKE 'erasure %'").getInt64() == 1);
  SQLite::Statement fk(db, "PRAGMA foreign_key_check");
  CHECK_FALSE(fk.executeStep());
  // secure_delete and the truncated WAL: the project file keeps no trace of the erased rows.
  const std::string bytes = test::read_file(f.project->path());
  for (const char* name : {"img1.jpg", "img5.jpg", "img9.jpg"}) CHECK(bytes.find(name) == std::string::npos);
  for (const auto& h : gone_hashes) CHECK(bytes.find(h) == std::string::npos);
  CHECK(bytes.find("img2.jpg") != std::string::npos);  // what stays is still there
  // An unknown subject is refused by name.
  auto unknown = f.store->erase_subject("s1", false, false);
  REQUIRE_FALSE(unknown.is_ok());
  CHECK(unknown.status().message().find("no subject 's1'") != std::string::npos);
}

TEST_CASE("erasing a subject can delete its image files too; a reader holding the WAL is reported", "[data_store]") {
  Fixture f(6, 3);
  {
    // Another program in the middle of reading the project: the checkpoint cannot finish.
    SQLite::Database reader(f.project->path(), SQLite::OPEN_READONLY);
    reader.exec("BEGIN");
    CHECK(reader.execAndGet("SELECT COUNT(*) FROM images").getInt64() == 6);
    auto r = f.store->erase_subject("s2", false, true);
    REQUIRE(r.is_ok());
    CHECK(r.value()["wal_truncated"] == false);
    CHECK(r.value()["files_deleted"] == 2);
    for (const auto& file : r.value()["files"]) CHECK_FALSE(std::filesystem::exists(file.get<std::string>()));
    CHECK(f.store->entries().size() == 4);
    reader.exec("COMMIT");
  }
  // Once it is gone, erasing again (another subject) empties the WAL.
  auto r = f.store->erase_subject("s1", false, false);
  REQUIRE(r.is_ok());
  CHECK(r.value()["wal_truncated"] == true);
}
