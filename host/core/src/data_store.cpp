#include "kohl/core/data_store.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <opencv2/imgproc.hpp>

#include "kohl/core/codecs.hpp"
#include "kohl/core/host_services.hpp"
#include "kohl/core/image_probe.hpp"
#include "kohl/core/log.hpp"
#include "kohl/core/parallel.hpp"
#include "kohl/sdk/layouts.hpp"

namespace kohl::core {

namespace fs = std::filesystem;
using sdk::Json;
using sdk::Status;

namespace {

// Puts a connection setting back (runs `sql`) on every way out of a scope. Declare it before
// the scope's transaction so that it runs after the transaction has ended: SQLite ignores a
// change of foreign_keys inside one.
struct PragmaOnExit {
  SQLite::Database& db;
  const char* sql;
  ~PragmaOnExit() {
    try {
      db.exec(sql);
    } catch (...) {
    }
  }
};

// Label maps: the built-in ones from the SDK, then the batch's user-defined ones.
std::vector<std::string> known_label_map(const std::string& name,
                                         const std::map<std::string, std::vector<std::string>>& user) {
  auto builtin = sdk::label_map(name);
  if (!builtin.labels.empty()) return builtin.labels;
  auto it = user.find(name);
  return it == user.end() ? std::vector<std::string>{} : it->second;
}

// Classes discovered in data: numeric order when every class is a number ("1".."10"), else text order.
void sort_classes(std::vector<std::string>& classes) {
  auto is_num = [](const std::string& s) {
    if (s.empty()) return false;
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    return end && *end == '\0';
  };
  if (std::all_of(classes.begin(), classes.end(), is_num))
    std::sort(classes.begin(), classes.end(),
              [](const std::string& a, const std::string& b) { return std::stod(a) < std::stod(b); });
  else
    std::sort(classes.begin(), classes.end());
}

Json points_json(const std::vector<cv::Point2f>& pts) {
  Json a = Json::array();
  // Millipixel precision: floats printed as doubles would carry noise digits (15.0900001).
  auto r = [](float v) { return std::round(static_cast<double>(v) * 1000.0) / 1000.0; };
  for (const auto& p : pts) a.push_back({r(p.x), r(p.y)});
  return a;
}
std::vector<cv::Point2f> points_from_json(const Json& a) {
  std::vector<cv::Point2f> pts;
  for (const auto& p : a) pts.emplace_back(p.at(0).get<float>(), p.at(1).get<float>());
  return pts;
}

// What a worker thread found for one entry.
struct Checked {
  bool ok = false;
  bool duplicate = false;
  std::string error;
  ImageHeader header;
  std::string hash;
  std::int64_t bytes = 0;
  std::vector<std::uint8_t> embedded;
  std::vector<std::uint8_t> mask_png;
  std::string mask_map;
};

Checked check_entry(const ImageEntry& e, const ImportBatch& batch, const ImportOptions& opt) {
  Checked c;
  // One buffer per reader thread, reused: a fresh one per file cost an allocation and
  // page faults for every image (bench/import).
  thread_local std::vector<std::uint8_t> bytes;
  if (Status s = read_file_bytes(e.path, bytes); !s) {
    c.error = s.message();
    return c;
  }
  c.bytes = static_cast<std::int64_t>(bytes.size());
  auto header = probe_image(bytes.data(), bytes.size());
  if (!header) {
    c.error = header.status().message();
    return c;
  }
  c.header = header.value();
  if (Status s = check_pixel_cap(c.header, opt.max_pixels); !s) {
    c.error = s.message();
    return c;
  }
  c.hash = content_hash(bytes.data(), bytes.size());

  for (const auto& [set, cls] : e.labels) {
    auto it = batch.label_sets.find(set);
    if (it != batch.label_sets.end() && !it->second.empty() &&
        std::find(it->second.begin(), it->second.end(), cls) == it->second.end()) {
      c.error = "label set '" + set + "': class '" + cls + "' is not one of its classes";
      return c;
    }
  }
  for (const auto& lm : e.landmarks) {
    auto layout = sdk::landmark_layout(lm.layout);
    if (layout.count == 0) {
      c.error = "unknown landmark layout '" + lm.layout + "' (known: dlib-68)";
      return c;
    }
    if (static_cast<int>(lm.points.size()) != layout.count) {
      c.error = "landmarks: layout " + lm.layout + " has " + std::to_string(layout.count) + " points, got " +
                std::to_string(lm.points.size());
      return c;
    }
  }
  if (!e.mask_file.empty()) {
    std::vector<std::uint8_t> mbytes;
    if (Status s = read_file_bytes(e.mask_file, mbytes); !s) {
      c.error = "mask " + e.mask_file + ": " + s.message();
      return c;
    }
    auto decoded = codecs::decode(mbytes, cv::IMREAD_UNCHANGED);
    cv::Mat m = decoded ? decoded.value() : cv::Mat();
    if (m.empty()) {
      c.error = "mask " + e.mask_file + ": cannot decode (expected an 8-bit label PNG)";
      return c;
    }
    if (m.depth() != CV_8U) {
      c.error = "mask " + e.mask_file + ": expected 8-bit labels, got another bit depth";
      return c;
    }
    if (m.channels() == 3 || m.channels() == 4) {
      // Some datasets save label images as grey RGB: accept only when every channel agrees.
      std::vector<cv::Mat> ch;
      cv::split(m, ch);
      if (cv::countNonZero(ch[0] != ch[1]) || cv::countNonZero(ch[0] != ch[2])) {
        c.error = "mask " + e.mask_file + ": a colour image, expected a single-channel label image";
        return c;
      }
      m = ch[0];
    }
    if (m.cols != c.header.width || m.rows != c.header.height) {
      c.error = "mask " + e.mask_file + " is " + std::to_string(m.cols) + "x" + std::to_string(m.rows) +
                ", the image is " + std::to_string(c.header.width) + "x" + std::to_string(c.header.height);
      return c;
    }
    const auto labels = known_label_map(e.mask_label_map, batch.label_maps);
    if (labels.empty()) {
      c.error = "mask " + e.mask_file + ": unknown label map '" + e.mask_label_map + "'";
      return c;
    }
    double maxv = 0;
    cv::minMaxLoc(m, nullptr, &maxv);
    if (maxv >= static_cast<double>(labels.size())) {
      c.error = "mask " + e.mask_file + ": value " + std::to_string(static_cast<int>(maxv)) +
                " is outside label map '" + e.mask_label_map + "' (0.." + std::to_string(labels.size() - 1) + ")";
      return c;
    }
    c.mask_map = e.mask_label_map;
    if (!e.mask_remap_to.empty() && e.mask_remap_to != e.mask_label_map) {
      auto table = batch.label_remaps.find({e.mask_label_map, e.mask_remap_to});
      if (table == batch.label_remaps.end()) {
        c.error = "no remap table from '" + e.mask_label_map + "' to '" + e.mask_remap_to +
                  "' (define one with `kohl data remap-table`)";
        return c;
      }
      cv::Mat lut(1, 256, CV_8U, cv::Scalar(0));
      for (std::size_t i = 0; i < table->second.size() && i < 256; ++i)
        lut.at<std::uint8_t>(static_cast<int>(i)) = static_cast<std::uint8_t>(table->second[i]);
      cv::LUT(m, lut, m);
      c.mask_map = e.mask_remap_to;
    }
    if (!codecs::encode(".png", m, c.mask_png)) {
      c.error = "mask " + e.mask_file + ": cannot encode";
      return c;
    }
  }
  if (opt.embed) c.embedded.assign(bytes.begin(), bytes.end());
  c.ok = true;
  return c;
}

std::int64_t id_for(SQLite::Database& db, const char* insert_sql, const char* select_sql, const std::string& key) {
  SQLite::Statement ins(db, insert_sql);
  ins.bind(1, key);
  ins.exec();
  SQLite::Statement sel(db, select_sql);
  sel.bind(1, key);
  sel.executeStep();
  return sel.getColumn(0).getInt64();
}

void ensure_label_map(SQLite::Database& db, const std::string& name, const std::vector<std::string>& labels) {
  SQLite::Statement q(db, "INSERT OR IGNORE INTO label_maps(name, labels) VALUES (?, ?)");
  q.bind(1, name);
  q.bind(2, Json(labels).dump());
  q.exec();
}

// Merges classes into a label set (creating it), keeping the stored order and appending new ones.
std::int64_t ensure_label_set(SQLite::Database& db, const std::string& name, const std::vector<std::string>& classes) {
  SQLite::Statement sel(db, "SELECT id, classes FROM label_sets WHERE name = ?");
  sel.bind(1, name);
  if (sel.executeStep()) {
    const std::int64_t id = sel.getColumn(0).getInt64();
    auto stored = Json::parse(sel.getColumn(1).getString()).get<std::vector<std::string>>();
    bool changed = false;
    for (const auto& c : classes)
      if (std::find(stored.begin(), stored.end(), c) == stored.end()) {
        stored.push_back(c);
        changed = true;
      }
    if (changed) {
      SQLite::Statement up(db, "UPDATE label_sets SET classes = ? WHERE id = ?");
      up.bind(1, Json(stored).dump());
      up.bind(2, id);
      up.exec();
    }
    return id;
  }
  SQLite::Statement ins(db, "INSERT INTO label_sets(name, classes) VALUES (?, ?)");
  ins.bind(1, name);
  ins.bind(2, Json(classes).dump());
  ins.exec();
  return db.getLastInsertRowid();
}

Json attribute_json(const sdk::AttributeValue& v) {
  if (const double* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

// Undo logging: temporary triggers that record, for every row change in the annotation
// tables, the SQL that reverses it (sqlite.org/undoredo). They log only while
// temp._kohl_undo_step holds a step number, i.e. inside DataStore::edit / undo / redo.
void ensure_undo_triggers(SQLite::Database& db) {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kTables = {
      {"labels", {}}, {"attributes", {}}, {"landmarks", {}}, {"boxes", {}}, {"masks", {}}, {"pairs", {}}};
  db.exec("CREATE TEMP TABLE IF NOT EXISTS _kohl_undo_step(step INTEGER)");
  const std::string when = "WHEN EXISTS (SELECT 1 FROM temp._kohl_undo_step)";
  const std::string step = "(SELECT step FROM temp._kohl_undo_step)";
  auto columns = [&](const std::string& table) {
    std::vector<std::string> cols;
    SQLite::Statement q(db, "SELECT name FROM pragma_table_info('" + table + "')");
    while (q.executeStep()) cols.push_back(q.getColumn(0).getString());
    return cols;
  };
  auto restore_sets = [](const std::vector<std::string>& cols) {
    std::string s;
    for (std::size_t i = 0; i < cols.size(); ++i)
      s += (i ? "||'," : "'") + cols[i] + "='||quote(old." + cols[i] + ")";
    return s;
  };
  for (const auto& [table, unused] : kTables) {
    (void)unused;
    const auto cols = columns(table);
    std::string names, values;
    for (const auto& c : cols) {
      names += "," + c;
      values += "||','||quote(old." + c + ")";
    }
    db.exec("CREATE TEMP TRIGGER IF NOT EXISTS _kohl_undo_" + table + "_i AFTER INSERT ON main." + table + " " + when +
            " BEGIN INSERT INTO undo_log(step, sql) VALUES(" + step + ", 'DELETE FROM " + table +
            " WHERE rowid='||new.rowid); END");
    db.exec("CREATE TEMP TRIGGER IF NOT EXISTS _kohl_undo_" + table + "_u AFTER UPDATE ON main." + table + " " + when +
            " BEGIN INSERT INTO undo_log(step, sql) VALUES(" + step + ", 'UPDATE " + table + " SET '||" +
            restore_sets(cols) + "||' WHERE rowid='||old.rowid); END");
    db.exec("CREATE TEMP TRIGGER IF NOT EXISTS _kohl_undo_" + table + "_d BEFORE DELETE ON main." + table + " " + when +
            " BEGIN INSERT INTO undo_log(step, sql) VALUES(" + step + ", 'INSERT INTO " + table + "(rowid" + names +
            ") VALUES('||old.rowid" + values + "||')'); END");
  }
  // images: only the annotation columns are edits.
  const std::vector<std::string> image_cols = {"split", "review", "reviewer", "subject_id"};
  db.exec("CREATE TEMP TRIGGER IF NOT EXISTS _kohl_undo_images_u AFTER UPDATE OF split, review, reviewer, subject_id "
          "ON main.images " + when + " BEGIN INSERT INTO undo_log(step, sql) VALUES(" + step +
          ", 'UPDATE images SET '||" + restore_sets(image_cols) + "||' WHERE rowid='||old.rowid); END");
}

void set_undo_step(SQLite::Database& db, std::optional<std::int64_t> step) {
  db.exec("DELETE FROM temp._kohl_undo_step");
  if (step) db.exec("INSERT INTO temp._kohl_undo_step VALUES(" + std::to_string(*step) + ")");
}

// Binds one attribute row (image_id, name, num, text, annotator) to an INSERT into attributes.
void bind_attribute(SQLite::Statement& q, std::int64_t image, const std::string& name, const sdk::AttributeValue& v,
                    const std::string& who) {
  q.bind(1, image);
  q.bind(2, name);
  if (const double* d = std::get_if<double>(&v)) {
    q.bind(3, *d);
    q.bind(4);
  } else {
    q.bind(3);
    q.bind(4, std::get<std::string>(v));
  }
  q.bind(5, who);
}

// A stored mask (PNG blob) as a RegionMask; an undecodable blob gives an empty label image.
sdk::RegionMask mask_from_blob(const SQLite::Column& column, const std::string& label_map) {
  const auto* p = static_cast<const std::uint8_t*>(column.getBlob());
  const std::vector<std::uint8_t> png(p, p + column.getBytes());
  auto m = codecs::decode(png, cv::IMREAD_GRAYSCALE);
  return sdk::RegionMask{label_map, m ? m.value() : cv::Mat()};
}

std::optional<std::int64_t> optional_int(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  if (q.executeStep() && !q.getColumn(0).isNull()) return q.getColumn(0).getInt64();
  return std::nullopt;
}

}  // namespace

// ---- JSON records ---------------------------------------------------------------------------

Json entry_to_json(const ImageEntry& e) {
  Json j = {{"file", e.rel_path}, {"subject", e.subject}, {"split", e.split}, {"review", e.review},
            {"reviewer", e.reviewer}, {"annotator", e.annotator}};
  if (!e.hash.empty()) j["hash"] = e.hash;
  if (e.width) j["size"] = {e.width, e.height};
  Json labels = Json::object();
  for (const auto& [k, v] : e.labels) labels[k] = v;
  j["labels"] = labels;
  Json attrs = Json::object();
  for (const auto& [k, v] : e.attributes) attrs[k] = attribute_json(v);
  j["attributes"] = attrs;
  Json lms = Json::array();
  for (const auto& lm : e.landmarks) lms.push_back({{"layout", lm.layout}, {"points", points_json(lm.points)}});
  j["landmarks"] = lms;
  Json boxes = Json::array();
  for (const auto& b : e.boxes)
    boxes.push_back({{"box", {b.rect.x, b.rect.y, b.rect.width, b.rect.height}}, {"label", b.label}, {"score", b.score}});
  j["boxes"] = boxes;
  if (!e.pair_group.empty()) j["pair"] = {{"group", e.pair_group}, {"role", e.pair_role}};
  if (!e.annotators.empty()) j["annotators"] = e.annotators;  // only those not made by `annotator`
  return j;
}

sdk::Result<ImageEntry> entry_from_json(const Json& j) {
  ImageEntry e;
  try {
    e.rel_path = j.at("file").get<std::string>();
    e.subject = j.value("subject", "");
    e.split = j.value("split", "");
    e.review = j.value("review", kReviewUnreviewed);
    e.reviewer = j.value("reviewer", "");
    e.annotator = j.value("annotator", "");
    e.hash = j.value("hash", "");
    if (j.contains("size")) {
      e.width = j["size"].at(0).get<int>();
      e.height = j["size"].at(1).get<int>();
    }
    // (.items() of a temporary would dangle: keep the copies alive)
    const Json labels = j.value("labels", Json::object()), attrs = j.value("attributes", Json::object());
    for (const auto& [k, v] : labels.items()) e.labels[k] = v.get<std::string>();
    for (const auto& [k, v] : attrs.items()) {
      if (v.is_number()) e.attributes[k] = v.get<double>();
      else e.attributes[k] = v.get<std::string>();
    }
    const Json landmarks = j.value("landmarks", Json::array()), boxes = j.value("boxes", Json::array());
    for (const auto& lm : landmarks)
      e.landmarks.push_back({lm.at("layout").get<std::string>(), points_from_json(lm.at("points"))});
    for (const auto& b : boxes) {
      const auto& r = b.at("box");
      e.boxes.push_back({cv::Rect2f(r.at(0).get<float>(), r.at(1).get<float>(), r.at(2).get<float>(), r.at(3).get<float>()),
                         b.value("label", "face"), b.value("score", 1.0f)});
    }
    if (j.contains("pair")) {
      e.pair_group = j["pair"].at("group").get<std::string>();
      e.pair_role = j["pair"].at("role").get<std::string>();
    }
    const Json who = j.value("annotators", Json::object());
    for (const auto& [k, v] : who.items()) e.annotators[k] = v.get<std::string>();
  } catch (const std::exception& ex) {
    return Status::invalid(std::string("record: ") + ex.what());
  }
  if (e.review != kReviewUnreviewed && e.review != kReviewAccepted && e.review != kReviewRejected)
    return Status::invalid("record: review is '" + e.review + "', expected unreviewed, accepted or rejected");
  if (!e.split.empty() && e.split != "train" && e.split != "val" && e.split != "test")
    return Status::invalid("record: split is '" + e.split + "', expected train, val, test or empty");
  return e;
}

// ---- import ---------------------------------------------------------------------------------

sdk::Result<ImportReport> DataStore::ingest(ImportBatch batch, const ImportOptions& opt, sdk::IProgress& progress) {
  auto& db = project_.db();
  ImportReport report;
  report.dataset = opt.dataset.empty() ? fs::path(batch.root).filename().string() : opt.dataset;
  if (report.dataset.empty()) report.dataset = batch.format;
  if (batch.source.name.empty()) batch.source.name = report.dataset;
  const std::string annotator = opt.annotator.empty() ? "import:" + batch.format : opt.annotator;
  report.errors = batch.errors;

  std::unordered_set<std::string> known;
  known.reserve(batch.entries.size());
  {
    SQLite::Statement q(db, "SELECT hash FROM images");
    while (q.executeStep()) known.insert(q.getColumn(0).getString());
  }
  const std::size_t images_before = known.size();
  // Masks may use label maps and remap tables the project already defines.
  for (auto& [name, labels] : label_maps()) batch.label_maps.emplace(name, labels);
  for (auto& [key, lut] : label_remaps()) batch.label_remaps.emplace(key, lut);
  // Tables a dataset brings must fit their maps.
  for (auto it = batch.label_remaps.begin(); it != batch.label_remaps.end();) {
    const auto from = known_label_map(it->first.first, batch.label_maps), to = known_label_map(it->first.second, batch.label_maps);
    std::string why;
    if (from.empty() || to.empty()) why = "unknown label map";
    else if (it->second.size() != from.size()) why = "needs " + std::to_string(from.size()) + " entries, has " + std::to_string(it->second.size());
    else
      for (int v : it->second)
        if (v < 0 || v >= static_cast<int>(to.size())) why = "entry " + std::to_string(v) + " is not a label of " + it->first.second;
    if (why.empty()) {
      ++it;
    } else {
      report.errors.push_back({batch.root, "remap table " + it->first.first + " -> " + it->first.second + ": " + why});
      it = batch.label_remaps.erase(it);
    }
  }
  batch.label_remaps.emplace(std::make_pair(std::string(sdk::kLabelMapCelebA19), std::string(sdk::kLabelMapMt14)),
                             std::vector<int>(sdk::kCelebA19ToMt14.begin(), sdk::kCelebA19ToMt14.end()));

  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&t0] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  // 1. Read, hash and check on worker threads (no database access there), while this
  //    thread writes the results in order as they become ready: reading and writing overlap.
  const std::size_t n = batch.entries.size();
  progress.phase("importing " + std::to_string(n) + " images", static_cast<std::int64_t>(n));
  std::vector<Checked> checked(n);
  std::unique_ptr<std::atomic<bool>[]> ready(new std::atomic<bool>[n]);
  for (std::size_t i = 0; i < n; ++i) ready[i] = false;
  // The writer sleeps only when the entry it needs is not ready yet, and a reader takes the
  // mutex only to wake it: locking for every entry on three threads cost more than 10 % of
  // the writer's time (bench/import). `awaited` and `ready` use sequentially consistent
  // operations, so the writer's "awaited = i, then read ready[i]" and a reader's "ready[i] =
  // true, then read awaited" cannot both miss each other: a wake-up is never lost.
  std::mutex ready_mutex;
  std::condition_variable ready_cv;
  std::atomic<std::size_t> awaited{n};  // the entry the writer sleeps on; n: none
  std::thread readers([&] {
    parallel_for(n, opt.threads, [&](std::size_t i) {
      if (progress.cancelled()) {
        checked[i].error = "cancelled";
      } else {
        try {
          checked[i] = check_entry(batch.entries[i], batch, opt);
        } catch (const std::exception& e) {
          checked[i].error = std::string("cannot check: ") + e.what();
        }
      }
      ready[i] = true;
      if (awaited == i) {
        std::lock_guard<std::mutex> lock(ready_mutex);
        ready_cv.notify_one();
      }
    });
  });
  // Joins the readers on every way out of this function.
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{readers};
  auto wait_for = [&](std::size_t i) {
    if (ready[i]) return;
    awaited = i;
    {
      std::unique_lock<std::mutex> lock(ready_mutex);
      ready_cv.wait(lock, [&] { return ready[i].load(); });
    }
    awaited = n;
  };

  // 2. Write everything in one transaction.
  try {
    // A large page cache keeps the index B-trees (hash, subject, labels) in memory while
    // thousands of rows go in; it lasts for this connection only.
    db.exec("PRAGMA cache_size = -65536");
    // Every id this import writes is one it has just read or made in this transaction
    // (dataset, source, subjects, label sets, the image row itself), so the foreign-key
    // lookups SQLite would do for each row (four per labelled image) can only pass: they are
    // off while the rows go in and back on for everything after (bench/import).
    db.exec("PRAGMA foreign_keys = OFF");
    const PragmaOnExit fk_back_on{db, "PRAGMA foreign_keys = ON"};
    SQLite::Transaction tx(db);
    // Bulk load: when this import at least doubles the project, the secondary indexes of the
    // tables it writes are dropped and built again once the rows are in: one sort per index
    // instead of a B-tree insert per row and index (a third of the SQLite time of 10,000
    // labelled images, bench/import). Inside the transaction, so a failed, cancelled or
    // killed import leaves them as they were; a smaller import into a large project keeps
    // them, since rebuilding would cost more than it saves.
    std::vector<std::string> rebuild_indexes;
    if (n >= images_before) {
      SQLite::Statement q(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
                              "tbl_name IN ('images', 'labels', 'attributes', 'landmarks', 'boxes', 'masks', 'pairs')");
      std::vector<std::string> names;
      while (q.executeStep()) {
        names.push_back(q.getColumn(0).getString());
        rebuild_indexes.push_back(q.getColumn(1).getString());
      }
      for (const auto& name : names) db.exec("DROP INDEX \"" + name + "\"");
    }
    {
      SQLite::Statement src(db, "INSERT INTO sources(name, license, consent, synthetic) VALUES (?, ?, ?, ?) "
                                "ON CONFLICT(name) DO NOTHING");
      src.bind(1, batch.source.name);
      src.bind(2, batch.source.license);
      src.bind(3, batch.source.consent);
      src.bind(4, batch.source.synthetic ? 1 : 0);
      src.exec();
    }
    std::int64_t src_id = 0;
    {
      SQLite::Statement q(db, "SELECT id FROM sources WHERE name = ?");
      q.bind(1, batch.source.name);
      q.executeStep();
      src_id = q.getColumn(0).getInt64();
    }
    std::int64_t dataset_id = 0;
    {
      SQLite::Statement ins(db, "INSERT INTO datasets(name, source_id, format, root, imported) VALUES (?, ?, ?, ?, ?) "
                                "ON CONFLICT(name) DO NOTHING");
      ins.bind(1, report.dataset);
      ins.bind(2, src_id);
      ins.bind(3, batch.format);
      ins.bind(4, batch.root);
      ins.bind(5, now_iso8601());
      ins.exec();
      SQLite::Statement q(db, "SELECT id FROM datasets WHERE name = ?");
      q.bind(1, report.dataset);
      q.executeStep();
      dataset_id = q.getColumn(0).getInt64();
    }
    for (const auto& [name, labels] : batch.label_maps) ensure_label_map(db, name, labels);
    for (const char* builtin : {sdk::kLabelMapMt14, sdk::kLabelMapCelebA19}) ensure_label_map(db, builtin, sdk::label_map(builtin).labels);
    {
      SQLite::Statement q(db, "INSERT OR IGNORE INTO label_remaps(from_map, to_map, lut) VALUES (?, ?, ?)");
      for (const auto& [key, lut] : batch.label_remaps) {
        q.bind(1, key.first);
        q.bind(2, key.second);
        q.bind(3, Json(lut).dump());
        q.exec();
        q.reset();
      }
    }

    // Label sets: declared ones now; undeclared ones on first use, their classes (sorted) at the end.
    std::map<std::string, std::int64_t> set_ids;
    for (const auto& [set, classes] : batch.label_sets) set_ids[set] = ensure_label_set(db, set, classes);
    std::map<std::string, std::vector<std::string>> seen;

    std::unordered_map<std::string, std::int64_t> subject_ids;
    SQLite::Statement ins_subject(db, "INSERT INTO subjects(code) VALUES (?) ON CONFLICT(code) DO NOTHING");
    SQLite::Statement sel_subject(db, "SELECT id FROM subjects WHERE code = ?");
    SQLite::Statement ins_image(db,
                                "INSERT INTO images(dataset_id, path, rel_path, hash, bytes, format, width, height, "
                                "subject_id, split, review, reviewer, embedded) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    SQLite::Statement ins_label(db, "INSERT INTO labels(image_id, label_set_id, class, annotator) VALUES (?,?,?,?)");
    SQLite::Statement ins_attr(db, "INSERT INTO attributes(image_id, name, num, text, annotator) VALUES (?,?,?,?,?)");
    SQLite::Statement ins_lm(db, "INSERT INTO landmarks(image_id, layout, points, annotator) VALUES (?,?,?,?)");
    SQLite::Statement ins_box(db, "INSERT INTO boxes(image_id, x, y, w, h, label, score, annotator) VALUES (?,?,?,?,?,?,?,?)");
    SQLite::Statement ins_mask(db, "INSERT INTO masks(image_id, label_map, png, annotator) VALUES (?,?,?,?)");
    std::map<std::string, std::map<std::string, std::vector<std::int64_t>>> pair_groups;  // group -> role -> ids

    for (std::size_t i = 0; i < n; ++i) {
      wait_for(i);
      if (progress.cancelled()) return Status::cancelled("import cancelled; the project is unchanged");
      const auto& e = batch.entries[i];
      auto& c = checked[i];
      progress.advance(1);
      if (!c.ok) {
        report.errors.push_back({e.path, c.error});
        continue;
      }
      if (!known.insert(c.hash).second) {
        ++report.duplicates;
        continue;
      }
      std::optional<std::int64_t> subject;
      if (!e.subject.empty()) {
        auto it = subject_ids.find(e.subject);
        if (it == subject_ids.end()) {
          ins_subject.bind(1, e.subject);
          ins_subject.exec();
          ins_subject.reset();
          sel_subject.bind(1, e.subject);
          sel_subject.executeStep();
          it = subject_ids.emplace(e.subject, sel_subject.getColumn(0).getInt64()).first;
          sel_subject.reset();
        }
        subject = it->second;
      }
      // bindNoCopy: the strings outlive exec(), so SQLite need not copy them.
      ins_image.bind(1, dataset_id);
      ins_image.bindNoCopy(2, e.path);
      ins_image.bindNoCopy(3, e.rel_path);
      ins_image.bindNoCopy(4, c.hash);
      ins_image.bind(5, c.bytes);
      ins_image.bindNoCopy(6, c.header.format);
      ins_image.bind(7, c.header.width);
      ins_image.bind(8, c.header.height);
      if (subject) ins_image.bind(9, *subject); else ins_image.bind(9);
      if (e.split.empty()) ins_image.bind(10); else ins_image.bind(10, e.split);
      ins_image.bindNoCopy(11, e.review);
      ins_image.bindNoCopy(12, e.reviewer);
      if (c.embedded.empty()) ins_image.bind(13);
      else ins_image.bindNoCopy(13, c.embedded.data(), static_cast<int>(c.embedded.size()));
      ins_image.exec();
      ins_image.reset();
      const std::int64_t image_id = db.getLastInsertRowid();
      const std::string& who = e.annotator.empty() ? annotator : e.annotator;
      // Who made one annotation: the entry's own record for it (ImageEntry::annotator_of),
      // else `who`. The key is built only when the entry names annotators per annotation,
      // and the result outlives the row's exec(), so it is bound without a copy.
      auto who_of = [&](auto&& key) -> const std::string& {
        if (e.annotators.empty()) return who;
        const std::string& named = e.annotator_of(key());
        return named.empty() ? who : named;
      };

      for (const auto& [set, cls] : e.labels) {
        auto sid = set_ids.find(set);
        if (sid == set_ids.end()) sid = set_ids.emplace(set, ensure_label_set(db, set, {})).first;
        auto& classes = seen[set];
        if (std::find(classes.begin(), classes.end(), cls) == classes.end()) classes.push_back(cls);
        ins_label.bind(1, image_id);
        ins_label.bind(2, sid->second);
        ins_label.bindNoCopy(3, cls);
        ins_label.bindNoCopy(4, who_of([&] { return "labels." + set; }));
        ins_label.exec();
        ins_label.reset();
      }
      for (const auto& [name, v] : e.attributes) {
        bind_attribute(ins_attr, image_id, name, v, who_of([&] { return "attributes." + name; }));
        ins_attr.exec();
        ins_attr.reset();
      }
      for (const auto& lm : e.landmarks) {
        ins_lm.bind(1, image_id);
        ins_lm.bind(2, lm.layout);
        ins_lm.bind(3, points_json(lm.points).dump());
        ins_lm.bindNoCopy(4, who_of([&] { return "landmarks." + std::to_string(&lm - e.landmarks.data()); }));
        ins_lm.exec();
        ins_lm.reset();
      }
      for (const auto& b : e.boxes) {
        ins_box.bind(1, image_id);
        ins_box.bind(2, b.rect.x);
        ins_box.bind(3, b.rect.y);
        ins_box.bind(4, b.rect.width);
        ins_box.bind(5, b.rect.height);
        ins_box.bind(6, b.label);
        ins_box.bind(7, b.score);
        ins_box.bindNoCopy(8, who_of([&] { return "boxes." + std::to_string(&b - e.boxes.data()); }));
        ins_box.exec();
        ins_box.reset();
      }
      if (!c.mask_png.empty()) {
        ins_mask.bind(1, image_id);
        ins_mask.bind(2, c.mask_map);
        ins_mask.bind(3, c.mask_png.data(), static_cast<int>(c.mask_png.size()));
        ins_mask.bindNoCopy(4, who_of([] { return std::string("mask"); }));
        ins_mask.exec();
        ins_mask.reset();
      }
      if (!e.pair_group.empty()) pair_groups[e.pair_group][e.pair_role].push_back(image_id);
      ++report.imported;
    }

    for (auto& [set, classes] : seen) {
      if (!batch.label_sets.count(set) || batch.label_sets.at(set).empty()) sort_classes(classes);
      ensure_label_set(db, set, classes);  // appends the classes the set did not have yet
    }
    SQLite::Statement ins_pair(db, "INSERT OR IGNORE INTO pairs(a, b, kind) VALUES (?,?,?)");
    auto link = [&](const std::map<std::string, std::vector<std::int64_t>>& roles, const char* ra, const char* rb,
                    const char* kind) {
      auto a = roles.find(ra), b = roles.find(rb);
      if (a == roles.end() || b == roles.end()) return;
      for (auto x : a->second)
        for (auto y : b->second) {
          ins_pair.bind(1, x);
          ins_pair.bind(2, y);
          ins_pair.bind(3, kind);
          ins_pair.exec();
          ins_pair.reset();
        }
    };
    for (const auto& [group, roles] : pair_groups) {
      link(roles, "bare", "makeup", kPairBareMakeup);
      link(roles, "source", "reference", kPairSourceReference);
    }
    for (const auto& sql : rebuild_indexes) db.exec(sql);
    logger()->debug("import: rows written at {:.3f} s", elapsed());
    if (progress.cancelled()) return Status::cancelled("import cancelled; the project is unchanged");
    tx.commit();
    logger()->debug("import: committed at {:.3f} s", elapsed());
  } catch (const std::exception& ex) {
    return Status::io_error(project_.path() + ": import failed, the project is unchanged: " + ex.what());
  }
  report.skipped = static_cast<std::int64_t>(report.errors.size()) + report.duplicates;
  return report;
}

// ---- read -----------------------------------------------------------------------------------

std::vector<ImageEntry> DataStore::entries(const EntryFilter& f, bool with_masks) const {
  auto& db = project_.db();
  std::string where = " WHERE 1";
  if (!f.dataset.empty()) where += " AND d.name = :dataset";
  if (!f.split.empty()) where += " AND i.split = :split";
  if (!f.ids.empty()) {
    where += " AND i.id IN (";
    for (std::size_t k = 0; k < f.ids.size(); ++k) where += (k ? "," : "") + std::to_string(f.ids[k]);
    where += ")";
  }
  SQLite::Statement q(db,
                      "SELECT i.id, i.path, i.rel_path, i.hash, i.format, i.width, i.height, d.name, s.name, "
                      "COALESCE(sub.code, ''), COALESCE(i.split, ''), i.review, i.reviewer FROM images i "
                      "JOIN datasets d ON d.id = i.dataset_id JOIN sources s ON s.id = d.source_id "
                      "LEFT JOIN subjects sub ON sub.id = i.subject_id" + where + " ORDER BY i.id");
  if (!f.dataset.empty()) q.bind(":dataset", f.dataset);
  if (!f.split.empty()) q.bind(":split", f.split);
  std::vector<ImageEntry> out;
  std::unordered_map<std::int64_t, std::size_t> index;
  while (q.executeStep()) {
    ImageEntry e;
    e.id = q.getColumn(0).getInt64();
    e.path = q.getColumn(1).getString();
    e.rel_path = q.getColumn(2).getString();
    e.hash = q.getColumn(3).getString();
    e.format = q.getColumn(4).getString();
    e.width = q.getColumn(5).getInt();
    e.height = q.getColumn(6).getInt();
    e.dataset = q.getColumn(7).getString();
    e.source = q.getColumn(8).getString();
    e.subject = q.getColumn(9).getString();
    e.split = q.getColumn(10).getString();
    e.review = q.getColumn(11).getString();
    e.reviewer = q.getColumn(12).getString();
    index[e.id] = out.size();
    out.push_back(std::move(e));
  }
  if (out.empty()) return out;
  auto each = [&](const std::string& sql, auto&& fn) {
    SQLite::Statement s(db, sql);
    while (s.executeStep()) {
      auto it = index.find(s.getColumn(0).getInt64());
      if (it != index.end()) fn(out[it->second], s);
    }
  };
  each("SELECT l.image_id, ls.name, l.class, l.annotator FROM labels l JOIN label_sets ls ON ls.id = l.label_set_id",
       [](ImageEntry& e, SQLite::Statement& s) {
         e.labels[s.getColumn(1).getString()] = s.getColumn(2).getString();
         e.annotators["labels." + s.getColumn(1).getString()] = s.getColumn(3).getString();
       });
  each("SELECT image_id, name, num, text, annotator FROM attributes", [](ImageEntry& e, SQLite::Statement& s) {
    if (s.getColumn(2).isNull()) e.attributes[s.getColumn(1).getString()] = s.getColumn(3).getString();
    else e.attributes[s.getColumn(1).getString()] = s.getColumn(2).getDouble();
    e.annotators["attributes." + s.getColumn(1).getString()] = s.getColumn(4).getString();
  });
  each("SELECT image_id, layout, points, annotator FROM landmarks ORDER BY id", [](ImageEntry& e, SQLite::Statement& s) {
    e.landmarks.push_back({s.getColumn(1).getString(), points_from_json(Json::parse(s.getColumn(2).getString()))});
    e.annotators["landmarks." + std::to_string(e.landmarks.size() - 1)] = s.getColumn(3).getString();
  });
  each("SELECT image_id, x, y, w, h, label, score, annotator FROM boxes ORDER BY id", [](ImageEntry& e, SQLite::Statement& s) {
    e.boxes.push_back({cv::Rect2f(static_cast<float>(s.getColumn(1).getDouble()), static_cast<float>(s.getColumn(2).getDouble()),
                                  static_cast<float>(s.getColumn(3).getDouble()), static_cast<float>(s.getColumn(4).getDouble())),
                       s.getColumn(5).getString(), static_cast<float>(s.getColumn(6).getDouble())});
    e.annotators["boxes." + std::to_string(e.boxes.size() - 1)] = s.getColumn(7).getString();
  });
  each(std::string("SELECT image_id, label_map, ") + (with_masks ? "png" : "NULL") + ", annotator FROM masks WHERE current = 1",
       [&](ImageEntry& e, SQLite::Statement& s) {
         e.mask_label_map = s.getColumn(1).getString();
         if (with_masks) e.mask = mask_from_blob(s.getColumn(2), e.mask_label_map);
         e.annotators["mask"] = s.getColumn(3).getString();
       });
  // Pairs become groups named after the first image ("pair-<a>"), roles by side.
  {
    SQLite::Statement s(db, "SELECT a, b, kind FROM pairs ORDER BY id");
    while (s.executeStep()) {
      const auto a = s.getColumn(0).getInt64(), b = s.getColumn(1).getInt64();
      const bool bare = s.getColumn(2).getString() == kPairBareMakeup;
      const std::string group = "pair-" + std::to_string(a);
      if (auto it = index.find(a); it != index.end()) {
        out[it->second].pair_group = group;
        out[it->second].pair_role = bare ? "bare" : "source";
      }
      if (auto it = index.find(b); it != index.end()) {
        out[it->second].pair_group = group;
        out[it->second].pair_role = bare ? "makeup" : "reference";
      }
    }
  }
  // `annotator` is who made most of an image's annotations; `annotators` keeps the others.
  for (auto& e : out) {
    std::map<std::string, int> count;
    for (const auto& [key, who] : e.annotators) ++count[who];
    int best = 0;
    for (const auto& [who, n] : count)
      if (n > best) {
        best = n;
        e.annotator = who;
      }
    for (auto it = e.annotators.begin(); it != e.annotators.end();)
      it = it->second == e.annotator ? e.annotators.erase(it) : std::next(it);
  }
  return out;
}

std::optional<ImageEntry> DataStore::entry(std::int64_t id, bool with_mask) const {
  EntryFilter f;
  f.ids = {id};
  auto v = entries(f, with_mask);
  if (v.empty()) return std::nullopt;
  return v.front();
}

std::map<std::string, std::vector<std::string>> DataStore::label_sets() const {
  std::map<std::string, std::vector<std::string>> out;
  SQLite::Statement q(project_.db(), "SELECT name, classes FROM label_sets ORDER BY name");
  while (q.executeStep()) out[q.getColumn(0).getString()] = Json::parse(q.getColumn(1).getString()).get<std::vector<std::string>>();
  return out;
}

std::map<std::string, std::vector<std::string>> DataStore::label_maps() const {
  std::map<std::string, std::vector<std::string>> out;
  SQLite::Statement q(project_.db(), "SELECT name, labels FROM label_maps ORDER BY name");
  while (q.executeStep()) out[q.getColumn(0).getString()] = Json::parse(q.getColumn(1).getString()).get<std::vector<std::string>>();
  return out;
}

std::map<std::pair<std::string, std::string>, std::vector<int>> DataStore::label_remaps() const {
  std::map<std::pair<std::string, std::string>, std::vector<int>> out;
  SQLite::Statement q(project_.db(), "SELECT from_map, to_map, lut FROM label_remaps ORDER BY from_map, to_map");
  while (q.executeStep())
    out[{q.getColumn(0).getString(), q.getColumn(1).getString()}] = Json::parse(q.getColumn(2).getString()).get<std::vector<int>>();
  return out;
}

Status DataStore::define_label_map(const std::string& name, const std::vector<std::string>& labels) {
  if (name.empty()) return Status::invalid("label map name is empty");
  if (!sdk::label_map(name).labels.empty()) return Status::invalid("'" + name + "' is a built-in label map; choose another name");
  if (labels.empty() || labels.size() > 256) return Status::invalid("label map '" + name + "': give 1 to 256 labels");
  auto existing = label_maps();
  if (auto it = existing.find(name); it != existing.end() && it->second != labels)
    return Status::invalid("label map '" + name + "' exists with other labels; masks refer to it by name, so it cannot change");
  try {
    ensure_label_map(project_.db(), name, labels);
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": " + e.what());
  }
  return Status::ok();
}

Status DataStore::define_remap(const std::string& from, const std::string& to, const std::vector<int>& lut) {
  auto maps = label_maps();
  for (const char* b : {sdk::kLabelMapMt14, sdk::kLabelMapCelebA19}) maps.emplace(b, sdk::label_map(b).labels);
  auto f = maps.find(from), t = maps.find(to);
  if (f == maps.end()) return Status::invalid("unknown label map '" + from + "' (define it with `kohl data label-map`)");
  if (t == maps.end()) return Status::invalid("unknown label map '" + to + "' (define it with `kohl data label-map`)");
  if (lut.size() != f->second.size())
    return Status::invalid("remap " + from + " -> " + to + ": the table needs " + std::to_string(f->second.size()) +
                           " entries (one per label of " + from + "), got " + std::to_string(lut.size()));
  for (std::size_t i = 0; i < lut.size(); ++i)
    if (lut[i] < 0 || lut[i] >= static_cast<int>(t->second.size()))
      return Status::invalid("remap " + from + " -> " + to + ": entry " + std::to_string(i) + " (" + f->second[i] + ") is " +
                             std::to_string(lut[i]) + ", expected a label of " + to + " (0.." +
                             std::to_string(t->second.size() - 1) + ")");
  try {
    auto& db = project_.db();
    SQLite::Transaction tx(db);
    ensure_label_map(db, from, f->second);
    ensure_label_map(db, to, t->second);
    SQLite::Statement q(db, "INSERT INTO label_remaps(from_map, to_map, lut) VALUES (?, ?, ?) "
                            "ON CONFLICT(from_map, to_map) DO UPDATE SET lut = excluded.lut");
    q.bind(1, from);
    q.bind(2, to);
    q.bind(3, Json(lut).dump());
    q.exec();
    tx.commit();
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": " + e.what());
  }
  return Status::ok();
}

std::vector<std::string> DataStore::datasets() const {
  std::vector<std::string> out;
  SQLite::Statement q(project_.db(), "SELECT name FROM datasets ORDER BY id");
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

std::map<std::string, SourceInfo> DataStore::sources() const {
  std::map<std::string, SourceInfo> out;
  SQLite::Statement q(project_.db(), "SELECT name, license, consent, synthetic FROM sources ORDER BY id");
  while (q.executeStep())
    out[q.getColumn(0).getString()] = {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                                       q.getColumn(3).getInt() != 0};
  return out;
}

std::vector<std::uint8_t> DataStore::embedded_bytes(std::int64_t id) const {
  SQLite::Statement q(project_.db(), "SELECT embedded FROM images WHERE id = ? AND embedded IS NOT NULL");
  q.bind(1, id);
  if (!q.executeStep()) return {};
  const auto* p = static_cast<const std::uint8_t*>(q.getColumn(0).getBlob());
  return std::vector<std::uint8_t>(p, p + q.getColumn(0).getBytes());
}

Json DataStore::summary() const {
  auto& db = project_.db();
  Json j;
  j["images"] = db.execAndGet("SELECT COUNT(*) FROM images").getInt64();
  j["subjects"] = db.execAndGet("SELECT COUNT(DISTINCT subject_id) FROM images WHERE subject_id IS NOT NULL").getInt64();
  auto counts = [&](const std::string& sql) {
    Json o = Json::object();
    SQLite::Statement q(db, sql);
    while (q.executeStep()) o[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return o;
  };
  Json by_split = {{"train", 0}, {"val", 0}, {"test", 0}, {"unassigned", 0}};
  const Json split_counts = counts("SELECT COALESCE(split, 'unassigned'), COUNT(*) FROM images GROUP BY 1");
  for (const auto& [k, v] : split_counts.items()) by_split[k] = v;
  j["by_split"] = by_split;
  j["by_source"] = counts("SELECT s.name, COUNT(*) FROM images i JOIN datasets d ON d.id = i.dataset_id "
                          "JOIN sources s ON s.id = d.source_id GROUP BY s.id");
  j["by_dataset"] = counts("SELECT d.name, COUNT(*) FROM images i JOIN datasets d ON d.id = i.dataset_id GROUP BY d.id");
  Json by_label = Json::object();
  for (const auto& [set, classes] : label_sets()) {
    Json c = Json::object();
    for (const auto& cls : classes) c[cls] = 0;
    by_label[set] = c;
  }
  {
    SQLite::Statement q(db, "SELECT ls.name, l.class, COUNT(*) FROM labels l JOIN label_sets ls ON ls.id = l.label_set_id "
                            "GROUP BY l.label_set_id, l.class");
    while (q.executeStep()) by_label[q.getColumn(0).getString()][q.getColumn(1).getString()] = q.getColumn(2).getInt64();
  }
  j["by_label"] = by_label;
  j["with_landmarks"] = db.execAndGet("SELECT COUNT(DISTINCT image_id) FROM landmarks").getInt64();
  j["with_masks"] = db.execAndGet("SELECT COUNT(DISTINCT image_id) FROM masks WHERE current = 1").getInt64();
  j["with_boxes"] = db.execAndGet("SELECT COUNT(DISTINCT image_id) FROM boxes").getInt64();
  j["pairs"] = counts("SELECT kind, COUNT(*) FROM pairs GROUP BY kind");
  j["review"] = counts("SELECT review, COUNT(*) FROM images GROUP BY review");
  Json snaps = Json::array();
  for (const auto& s : snapshots()) snaps.push_back({{"name", s.name}, {"images", s.images}, {"created", s.created}});
  j["snapshots"] = snaps;
  return j;
}

Json DataStore::stats() const {
  auto& db = project_.db();
  Json j = summary();
  Json attrs = Json::object();
  SQLite::Statement names(db, "SELECT name, COUNT(num), COUNT(text), MIN(num), MAX(num), AVG(num) FROM attributes GROUP BY name");
  while (names.executeStep()) {
    const std::string name = names.getColumn(0).getString();
    if (names.getColumn(1).getInt64() > 0) {
      const double lo = names.getColumn(3).getDouble(), hi = names.getColumn(4).getDouble();
      constexpr int kBins = 10;
      std::vector<std::int64_t> counts(kBins, 0);
      SQLite::Statement v(db, "SELECT num FROM attributes WHERE name = ? AND num IS NOT NULL");
      v.bind(1, name);
      while (v.executeStep()) {
        const double x = v.getColumn(0).getDouble();
        int b = hi > lo ? static_cast<int>((x - lo) / (hi - lo) * kBins) : 0;
        counts[static_cast<std::size_t>(std::clamp(b, 0, kBins - 1))]++;
      }
      Json edges = Json::array();
      for (int b = 0; b <= kBins; ++b) edges.push_back(lo + (hi - lo) * b / kBins);
      attrs[name] = {{"kind", "numeric"}, {"count", names.getColumn(1).getInt64()}, {"min", lo}, {"max", hi},
                     {"mean", names.getColumn(5).getDouble()}, {"histogram", {{"edges", edges}, {"counts", counts}}}};
    } else {
      Json c = Json::object();
      SQLite::Statement v(db, "SELECT text, COUNT(*) FROM attributes WHERE name = ? AND text IS NOT NULL GROUP BY text");
      v.bind(1, name);
      while (v.executeStep()) c[v.getColumn(0).getString()] = v.getColumn(1).getInt64();
      attrs[name] = {{"kind", "categorical"}, {"count", names.getColumn(2).getInt64()}, {"counts", c}};
    }
  }
  j["attributes"] = attrs;
  Json sizes = Json::object();
  SQLite::Statement sz(db, "SELECT MIN(width), MAX(width), MIN(height), MAX(height) FROM images");
  if (sz.executeStep() && !sz.getColumn(0).isNull())
    sizes = {{"width", {sz.getColumn(0).getInt(), sz.getColumn(1).getInt()}},
             {"height", {sz.getColumn(2).getInt(), sz.getColumn(3).getInt()}}};
  j["image_sizes"] = sizes;
  return j;
}

// ---- edits and undo -------------------------------------------------------------------------

Status DataStore::edit(const std::string& description, const std::function<void()>& body) {
  auto& db = project_.db();
  try {
    SQLite::Transaction tx(db);
    ensure_undo_triggers(db);
    // A new edit forgets what was undone.
    db.exec("DELETE FROM redo_log");
    db.exec("DELETE FROM edit_steps WHERE state = 'undone'");
    const std::int64_t step = optional_int(db, "SELECT COALESCE(MAX(step), 0) + 1 FROM edit_steps").value_or(1);
    SQLite::Statement ins(db, "INSERT INTO edit_steps(step, description, state) VALUES (?, ?, 'done')");
    ins.bind(1, step);
    ins.bind(2, description);
    ins.exec();
    set_undo_step(db, step);
    body();
    set_undo_step(db, std::nullopt);
    tx.commit();
  } catch (const std::exception& e) {
    try {
      set_undo_step(db, std::nullopt);
    } catch (...) {
    }
    return Status::io_error(project_.path() + ": " + description + " failed, nothing changed: " + e.what());
  }
  return Status::ok();
}

namespace {
Status require_image(SQLite::Database& db, std::int64_t id) {
  if (!optional_int(db, "SELECT id FROM images WHERE id = " + std::to_string(id)))
    return Status::invalid("no image with id " + std::to_string(id) + " (see `kohl data ls`)");
  return Status::ok();
}
}  // namespace

Status DataStore::set_label(std::int64_t image, const std::string& set, const std::string& cls, const std::string& who) {
  auto& db = project_.db();
  if (Status s = require_image(db, image); !s) return s;
  auto sets = label_sets();
  if (auto it = sets.find(set); it != sets.end() && !it->second.empty() &&
                                std::find(it->second.begin(), it->second.end(), cls) == it->second.end()) {
    std::string list;
    for (const auto& c : it->second) list += (list.empty() ? "" : ", ") + c;
    return Status::invalid("label set '" + set + "': class '" + cls + "' is not one of its classes (" + list + ")");
  }
  return edit("label image " + std::to_string(image) + " " + set + "=" + cls, [&] {
    const std::int64_t set_id = ensure_label_set(db, set, {cls});
    SQLite::Statement q(db, "INSERT INTO labels(image_id, label_set_id, class, annotator) VALUES (?,?,?,?) "
                            "ON CONFLICT(image_id, label_set_id) DO UPDATE SET class = excluded.class, "
                            "annotator = excluded.annotator");
    q.bind(1, image);
    q.bind(2, set_id);
    q.bind(3, cls);
    q.bind(4, who);
    q.exec();
  });
}

Status DataStore::set_attribute(std::int64_t image, const std::string& name, const sdk::AttributeValue& v,
                                const std::string& who) {
  auto& db = project_.db();
  if (Status s = require_image(db, image); !s) return s;
  return edit("set attribute " + name + " of image " + std::to_string(image), [&] {
    SQLite::Statement q(db, "INSERT INTO attributes(image_id, name, num, text, annotator) VALUES (?,?,?,?,?) "
                            "ON CONFLICT(image_id, name) DO UPDATE SET num = excluded.num, text = excluded.text, "
                            "annotator = excluded.annotator");
    bind_attribute(q, image, name, v, who);
    q.exec();
  });
}

Status DataStore::set_review(std::int64_t image, const std::string& state, const std::string& reviewer) {
  auto& db = project_.db();
  if (state != kReviewUnreviewed && state != kReviewAccepted && state != kReviewRejected)
    return Status::invalid("review state '" + state + "': expected unreviewed, accepted or rejected");
  if (Status s = require_image(db, image); !s) return s;
  return edit("review image " + std::to_string(image) + " " + state, [&] {
    SQLite::Statement q(db, "UPDATE images SET review = ?, reviewer = ? WHERE id = ?");
    q.bind(1, state);
    q.bind(2, reviewer);
    q.bind(3, image);
    q.exec();
  });
}

Status DataStore::write_annotations(const std::vector<AnnotationUpdate>& updates, const std::string& annotator,
                                    const std::string& description) {
  auto& db = project_.db();
  if (updates.empty()) return Status::ok();
  for (const auto& u : updates)
    if (Status s = require_image(db, u.image); !s) return s;
  // Masks are validated and encoded before the transaction: a bad one names its image.
  std::vector<std::vector<std::uint8_t>> pngs(updates.size());
  const auto user_maps = label_maps();
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const auto& m = updates[i].mask;
    if (!m) continue;
    const auto labels = known_label_map(m->label_map, user_maps);
    const std::string where = "image " + std::to_string(updates[i].image) + ": mask";
    if (labels.empty()) return Status::invalid(where + ": unknown label map '" + m->label_map + "'");
    if (m->labels.type() != CV_8UC1 || m->labels.empty())
      return Status::invalid(where + ": expected an 8-bit single-channel label image");
    double max_value = 0;
    cv::minMaxLoc(m->labels, nullptr, &max_value);
    if (max_value >= static_cast<double>(labels.size()))
      return Status::invalid(where + ": label " + std::to_string(static_cast<int>(max_value)) + " is outside '" +
                             m->label_map + "' (0.." + std::to_string(labels.size() - 1) + ")");
    if (Status s = codecs::encode(".png", m->labels, pngs[i]); !s) return Status::io_error(where + ": " + s.message());
  }
  return edit(description, [&] {
    SQLite::Statement del_lm(db, "DELETE FROM landmarks WHERE image_id = ? AND annotator = ?");
    SQLite::Statement del_box(db, "DELETE FROM boxes WHERE image_id = ? AND annotator = ?");
    SQLite::Statement ins_lm(db, "INSERT INTO landmarks(image_id, layout, points, annotator) VALUES (?,?,?,?)");
    SQLite::Statement ins_box(db, "INSERT INTO boxes(image_id, x, y, w, h, label, score, annotator) VALUES (?,?,?,?,?,?,?,?)");
    SQLite::Statement old_mask(db, "UPDATE masks SET current = 0 WHERE image_id = ? AND current = 1");
    SQLite::Statement ins_mask(db, "INSERT INTO masks(image_id, label_map, png, annotator) VALUES (?,?,?,?)");
    SQLite::Statement ins_attr(db, "INSERT INTO attributes(image_id, name, num, text, annotator) VALUES (?,?,?,?,?) "
                                   "ON CONFLICT(image_id, name) DO UPDATE SET num = excluded.num, "
                                   "text = excluded.text, annotator = excluded.annotator");
    SQLite::Statement ins_label(db, "INSERT INTO labels(image_id, label_set_id, class, annotator) VALUES (?,?,?,?) "
                                    "ON CONFLICT(image_id, label_set_id) DO UPDATE SET class = excluded.class, "
                                    "annotator = excluded.annotator");
    SQLite::Statement review(db, "UPDATE images SET review = 'unreviewed', reviewer = '' WHERE id = ? "
                                 "AND review <> 'unreviewed'");
    auto run = [](SQLite::Statement& q) {
      q.exec();
      q.reset();
    };
    for (std::size_t i = 0; i < updates.size(); ++i) {
      const auto& u = updates[i];
      for (auto* q : {&del_lm, &del_box}) {
        q->bind(1, u.image);
        q->bind(2, annotator);
        run(*q);
      }
      for (const auto& lm : u.landmarks) {
        ins_lm.bind(1, u.image);
        ins_lm.bind(2, lm.layout);
        ins_lm.bind(3, points_json(lm.points).dump());
        ins_lm.bind(4, annotator);
        run(ins_lm);
      }
      for (const auto& b : u.boxes) {
        ins_box.bind(1, u.image);
        ins_box.bind(2, b.rect.x);
        ins_box.bind(3, b.rect.y);
        ins_box.bind(4, b.rect.width);
        ins_box.bind(5, b.rect.height);
        ins_box.bind(6, b.label);
        ins_box.bind(7, b.score);
        ins_box.bind(8, annotator);
        run(ins_box);
      }
      if (u.mask) {
        ensure_label_map(db, u.mask->label_map, known_label_map(u.mask->label_map, user_maps));
        old_mask.bind(1, u.image);
        run(old_mask);
        ins_mask.bind(1, u.image);
        ins_mask.bind(2, u.mask->label_map);
        ins_mask.bind(3, pngs[i].data(), static_cast<int>(pngs[i].size()));
        ins_mask.bind(4, annotator);
        run(ins_mask);
      }
      for (const auto& [name, v] : u.attributes) {
        bind_attribute(ins_attr, u.image, name, v, annotator);
        run(ins_attr);
      }
      for (const auto& [set, cls] : u.labels) {
        ins_label.bind(1, u.image);
        ins_label.bind(2, ensure_label_set(db, set, {cls}));
        ins_label.bind(3, cls);
        ins_label.bind(4, annotator);
        run(ins_label);
      }
      review.bind(1, u.image);
      run(review);
    }
  });
}

bool DataStore::has_annotations_by(std::int64_t image, const std::string& prefix) const {
  SQLite::Statement q(project_.db(),
                      "SELECT EXISTS (SELECT 1 FROM landmarks WHERE image_id = ?1 AND substr(annotator, 1, length(?2)) = ?2) "
                      "OR EXISTS (SELECT 1 FROM boxes WHERE image_id = ?1 AND substr(annotator, 1, length(?2)) = ?2)");
  q.bind(1, image);
  q.bind(2, prefix);
  return q.executeStep() && q.getColumn(0).getInt() != 0;
}

std::optional<std::string> DataStore::current_mask_annotator(std::int64_t image) const {
  SQLite::Statement q(project_.db(), "SELECT annotator FROM masks WHERE image_id = ? AND current = 1 ORDER BY id DESC LIMIT 1");
  q.bind(1, image);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getString();
}

sdk::Result<std::string> DataStore::undo() {
  auto& db = project_.db();
  try {
    SQLite::Transaction tx(db);
    ensure_undo_triggers(db);
    auto step = optional_int(db, "SELECT MAX(step) FROM edit_steps WHERE state = 'done'");
    if (!step) return Status::invalid("nothing to undo");
    const std::string s = std::to_string(*step);
    const std::int64_t before = optional_int(db, "SELECT COALESCE(MAX(seq), 0) FROM undo_log").value_or(0);
    std::vector<std::string> sqls;
    {
      SQLite::Statement q(db, "SELECT sql FROM undo_log WHERE step = " + s + " ORDER BY seq DESC");
      while (q.executeStep()) sqls.push_back(q.getColumn(0).getString());
    }
    set_undo_step(db, -*step);  // the inverses of the undo land here, then move to redo_log
    for (const auto& sql : sqls) db.exec(sql);
    set_undo_step(db, std::nullopt);
    const std::string b = std::to_string(before);
    db.exec("INSERT INTO redo_log(step, sql) SELECT " + s + ", sql FROM undo_log WHERE seq > " + b + " ORDER BY seq");
    db.exec("DELETE FROM undo_log WHERE step = " + s + " OR seq > " + b);
    db.exec("UPDATE edit_steps SET state = 'undone' WHERE step = " + s);
    const std::string what = db.execAndGet("SELECT description FROM edit_steps WHERE step = " + s).getString();
    tx.commit();
    return what;
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": undo failed, nothing changed: " + e.what());
  }
}

sdk::Result<std::string> DataStore::redo() {
  auto& db = project_.db();
  try {
    SQLite::Transaction tx(db);
    ensure_undo_triggers(db);
    auto step = optional_int(db, "SELECT MIN(step) FROM edit_steps WHERE state = 'undone'");
    if (!step) return Status::invalid("nothing to redo");
    const std::string s = std::to_string(*step);
    std::vector<std::string> sqls;
    {
      SQLite::Statement q(db, "SELECT sql FROM redo_log WHERE step = " + s + " ORDER BY seq DESC");
      while (q.executeStep()) sqls.push_back(q.getColumn(0).getString());
    }
    set_undo_step(db, *step);
    for (const auto& sql : sqls) db.exec(sql);
    set_undo_step(db, std::nullopt);
    db.exec("DELETE FROM redo_log WHERE step = " + s);
    db.exec("UPDATE edit_steps SET state = 'done' WHERE step = " + s);
    const std::string what = db.execAndGet("SELECT description FROM edit_steps WHERE step = " + s).getString();
    tx.commit();
    return what;
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": redo failed, nothing changed: " + e.what());
  }
}

// ---- splits ---------------------------------------------------------------------------------

sdk::Result<Json> DataStore::split(const SplitOptions& o) {
  auto& db = project_.db();
  if (o.ratios.size() < 2 || o.ratios.size() > 3) return Status::invalid("--ratios: give 2 or 3 numbers (train,val[,test])");
  double total = 0;
  for (double r : o.ratios) {
    if (!(r >= 0) || !std::isfinite(r)) return Status::invalid("--ratios: every ratio must be a number >= 0");
    total += r;
  }
  if (total <= 0) return Status::invalid("--ratios: the ratios must not all be 0");
  static const char* kNames[] = {"train", "val", "test"};
  if (!o.stratify.empty() && !label_sets().count(o.stratify))
    return Status::invalid("--stratify: no label set '" + o.stratify + "' in the project");

  // Units: a subject's images together (by_subject), otherwise each image alone.
  struct Unit {
    std::string key;
    std::vector<std::int64_t> images;
    std::map<std::string, int> classes;
  };
  std::map<std::string, Unit> units;
  {
    std::string sql = "SELECT i.id, i.subject_id, COALESCE(l.class, '') FROM images i JOIN datasets d ON d.id = i.dataset_id "
                      "LEFT JOIN labels l ON l.image_id = i.id AND l.label_set_id = "
                      "(SELECT id FROM label_sets WHERE name = :set)";
    if (!o.dataset.empty()) sql += " WHERE d.name = :dataset";
    sql += " ORDER BY i.id";
    SQLite::Statement q(db, sql);
    q.bind(":set", o.stratify);
    if (!o.dataset.empty()) q.bind(":dataset", o.dataset);
    while (q.executeStep()) {
      const auto id = q.getColumn(0).getInt64();
      std::string key = (o.by_subject && !q.getColumn(1).isNull()) ? "subject:" + std::to_string(q.getColumn(1).getInt64())
                                                                  : "image:" + std::to_string(id);
      auto& u = units[key];
      u.key = key;
      u.images.push_back(id);
      u.classes[q.getColumn(2).getString()]++;
    }
  }
  if (units.empty()) return Status::invalid(o.dataset.empty() ? "the project has no images to split"
                                                              : "dataset '" + o.dataset + "' has no images");
  // Strata: the unit's most frequent class (ties: the first by name).
  std::map<std::string, std::vector<const Unit*>> strata;
  for (const auto& [key, u] : units) {
    std::string best;
    int n = -1;
    for (const auto& [cls, c] : u.classes)
      if (c > n) {
        best = cls;
        n = c;
      }
    strata[o.stratify.empty() ? std::string() : best].push_back(&u);
  }
  // Own Fisher-Yates over splitmix64, so a seed gives the same split with any standard library.
  std::uint64_t state = o.seed;
  auto next = [&state]() { return derive_seed(state++, 0x5eed); };
  std::map<std::int64_t, int> assignment;
  std::vector<std::int64_t> counts(o.ratios.size(), 0);
  for (auto& [name, list] : strata) {
    for (std::size_t i = list.size(); i > 1; --i) std::swap(list[i - 1], list[next() % i]);
    std::int64_t stratum_images = 0;
    for (const auto* u : list) stratum_images += static_cast<std::int64_t>(u->images.size());
    std::vector<double> target(o.ratios.size());
    for (std::size_t k = 0; k < o.ratios.size(); ++k) target[k] = o.ratios[k] / total * static_cast<double>(stratum_images);
    std::vector<double> got(o.ratios.size(), 0.0);
    for (const auto* u : list) {
      std::size_t best = 0;
      double deficit = -1e300;
      for (std::size_t k = 0; k < o.ratios.size(); ++k) {
        if (o.ratios[k] <= 0) continue;
        const double d = target[k] - got[k];  // images this split still lacks
        if (d > deficit + 1e-12) {
          deficit = d;
          best = k;
        }
      }
      got[best] += static_cast<double>(u->images.size());
      for (auto id : u->images) assignment[id] = static_cast<int>(best);
      counts[best] += static_cast<std::int64_t>(u->images.size());
    }
  }
  std::string desc = "split";
  for (double r : o.ratios) desc += " " + std::to_string(r).substr(0, 4);
  desc += " seed " + std::to_string(o.seed);
  Status st = edit(desc, [&] {
    SQLite::Statement up(db, "UPDATE images SET split = ? WHERE id = ? AND split IS NOT ?");
    for (const auto& [id, k] : assignment) {
      up.bind(1, kNames[k]);
      up.bind(2, id);
      up.bind(3, kNames[k]);
      up.exec();
      up.reset();
    }
  });
  if (!st) return st;
  Json out = Json::object();
  for (std::size_t k = 0; k < o.ratios.size(); ++k) out[kNames[k]] = counts[k];
  out["units"] = static_cast<std::int64_t>(units.size());
  out["by_subject"] = o.by_subject;
  out["stratify"] = o.stratify;
  out["seed"] = o.seed;
  return out;
}

// ---- snapshots ------------------------------------------------------------------------------

sdk::Result<SnapshotInfo> DataStore::snapshot(const std::string& name) {
  auto& db = project_.db();
  if (name.empty()) return Status::invalid("snapshot name is empty");
  {
    SQLite::Statement q(db, "SELECT 1 FROM snapshots WHERE name = ?");
    q.bind(1, name);
    if (q.executeStep()) return Status::invalid("snapshot '" + name + "' exists already (snapshots never change; pick a new name)");
  }
  auto all = entries({}, false);
  if (all.empty()) return Status::invalid("the project has no images to snapshot");
  SnapshotInfo info;
  info.name = name;
  info.created = now_iso8601();
  info.images = static_cast<std::int64_t>(all.size());
  std::string digest_input;
  try {
    SQLite::Transaction tx(db);
    SQLite::Statement ins(db, "INSERT INTO snapshots(name, created, images, digest) VALUES (?, ?, ?, '')");
    ins.bind(1, name);
    ins.bind(2, info.created);
    ins.bind(3, info.images);
    ins.exec();
    const std::int64_t sid = db.getLastInsertRowid();
    std::unordered_map<std::int64_t, std::int64_t> mask_ids;
    {
      SQLite::Statement q(db, "SELECT image_id, id FROM masks WHERE current = 1");
      while (q.executeStep()) mask_ids[q.getColumn(0).getInt64()] = q.getColumn(1).getInt64();
    }
    SQLite::Statement item(db, "INSERT INTO snapshot_images(snapshot_id, image_id, split, record, mask_id) VALUES (?,?,?,?,?)");
    for (const auto& e : all) {
      const std::string record = entry_to_json(e).dump();
      item.bind(1, sid);
      item.bind(2, e.id);
      if (e.split.empty()) item.bind(3); else item.bind(3, e.split);
      item.bind(4, record);
      if (auto it = mask_ids.find(e.id); it != mask_ids.end()) item.bind(5, it->second); else item.bind(5);
      item.exec();
      item.reset();
      digest_input += e.hash + '\n' + record + '\n';
    }
    info.digest = content_hash(reinterpret_cast<const std::uint8_t*>(digest_input.data()), digest_input.size());
    SQLite::Statement up(db, "UPDATE snapshots SET digest = ? WHERE id = ?");
    up.bind(1, info.digest);
    up.bind(2, sid);
    up.exec();
    tx.commit();
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": snapshot failed, nothing changed: " + e.what());
  }
  return info;
}

std::vector<SnapshotInfo> DataStore::snapshots() const {
  std::vector<SnapshotInfo> out;
  SQLite::Statement q(project_.db(), "SELECT name, created, digest, images FROM snapshots ORDER BY id");
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getInt64()});
  return out;
}

sdk::Result<std::vector<ImageEntry>> DataStore::snapshot_entries(const std::string& name, const std::string& split,
                                                                 bool with_masks) const {
  auto& db = project_.db();
  auto sid = [&]() -> std::optional<std::int64_t> {
    SQLite::Statement q(db, "SELECT id FROM snapshots WHERE name = ?");
    q.bind(1, name);
    if (q.executeStep()) return q.getColumn(0).getInt64();
    return std::nullopt;
  }();
  if (!sid) return Status::invalid("no snapshot named '" + name + "' (see `kohl data ls`)");
  std::string sql = "SELECT si.image_id, si.record, i.path, i.hash, i.format, i.width, i.height, d.name, s.name, "
                    "m.label_map, " + std::string(with_masks ? "m.png" : "NULL") +
                    " FROM snapshot_images si JOIN images i ON i.id = si.image_id JOIN datasets d ON d.id = i.dataset_id "
                    "JOIN sources s ON s.id = d.source_id LEFT JOIN masks m ON m.id = si.mask_id WHERE si.snapshot_id = ?";
  if (!split.empty()) sql += " AND si.split = ?";
  sql += " ORDER BY si.image_id";
  SQLite::Statement q(db, sql);
  q.bind(1, *sid);
  if (!split.empty()) q.bind(2, split);
  std::vector<ImageEntry> out;
  while (q.executeStep()) {
    auto e = entry_from_json(Json::parse(q.getColumn(1).getString()));
    if (!e) return e.status();
    ImageEntry x = std::move(e).value();
    x.id = q.getColumn(0).getInt64();
    x.path = q.getColumn(2).getString();
    x.hash = q.getColumn(3).getString();
    x.format = q.getColumn(4).getString();
    x.width = q.getColumn(5).getInt();
    x.height = q.getColumn(6).getInt();
    x.dataset = q.getColumn(7).getString();
    x.source = q.getColumn(8).getString();
    if (!q.getColumn(9).isNull()) {
      x.mask_label_map = q.getColumn(9).getString();
      if (with_masks) x.mask = mask_from_blob(q.getColumn(10), x.mask_label_map);
    }
    out.push_back(std::move(x));
  }
  return out;
}

// ---- relink ---------------------------------------------------------------------------------

sdk::Result<Json> DataStore::relink(const std::string& folder, sdk::IProgress& progress, int threads) {
  auto& db = project_.db();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return Status::invalid(folder + ": not a folder");
  // Images whose file is gone.
  std::unordered_map<std::string, std::int64_t> missing;  // hash -> id
  std::int64_t present = 0;
  {
    SQLite::Statement q(db, "SELECT id, path, hash FROM images");
    while (q.executeStep()) {
      if (fs::exists(q.getColumn(1).getString(), ec)) ++present;
      else missing[q.getColumn(2).getString()] = q.getColumn(0).getInt64();
    }
  }
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec))
    if (it->is_regular_file(ec)) files.push_back(it->path().string());
  std::vector<std::string> hashes(files.size());
  progress.phase("hashing " + std::to_string(files.size()) + " files", static_cast<std::int64_t>(files.size()));
  if (!missing.empty())
    parallel_for(files.size(), threads, [&](std::size_t i) {
      std::vector<std::uint8_t> bytes;
      if (read_file_bytes(files[i], bytes)) hashes[i] = content_hash(bytes.data(), bytes.size());
      progress.advance(1);
    });
  std::int64_t relinked = 0;
  try {
    SQLite::Transaction tx(db);
    SQLite::Statement up(db, "UPDATE images SET path = ? WHERE id = ?");
    for (std::size_t i = 0; i < files.size(); ++i) {
      auto it = missing.find(hashes[i]);
      if (hashes[i].empty() || it == missing.end()) continue;
      up.bind(1, fs::absolute(files[i]).lexically_normal().string());
      up.bind(2, it->second);
      up.exec();
      up.reset();
      missing.erase(it);
      ++relinked;
    }
    tx.commit();
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": relink failed, nothing changed: " + e.what());
  }
  return Json{{"relinked", relinked}, {"still_missing", static_cast<std::int64_t>(missing.size())}, {"present", present}};
}

// ---- subjects and erasure -------------------------------------------------------------------

namespace {

// "(1,2,3)" for an IN clause: the ids are integers read from the project itself.
std::string id_list(const std::vector<std::int64_t>& ids) {
  std::string out = "(";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + ")";
}

std::vector<std::string> strings_of(SQLite::Database& db, const std::string& sql) {
  std::vector<std::string> out;
  SQLite::Statement q(db, sql);
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

}  // namespace

Json DataStore::subjects() const {
  auto& db = project_.db();
  Json out = Json::array();
  SQLite::Statement q(db,
                      "SELECT s.code, COUNT(i.id), "
                      "  (SELECT COUNT(DISTINCT r.id) FROM runs r JOIN snapshot_images si ON si.snapshot_id = r.snapshot_id "
                      "     JOIN images i2 ON i2.id = si.image_id WHERE i2.subject_id = s.id AND si.split = 'train') "
                      "FROM subjects s LEFT JOIN images i ON i.subject_id = s.id GROUP BY s.id ORDER BY s.code");
  while (q.executeStep())
    out.push_back({{"subject", q.getColumn(0).getString()},
                   {"images", q.getColumn(1).getInt64()},
                   {"trained_runs", q.getColumn(2).getInt64()}});
  return out;
}

sdk::Result<Json> DataStore::erase_subject(const std::string& code, bool dry_run, bool delete_files) {
  auto& db = project_.db();
  std::int64_t subject_id = 0;
  {
    SQLite::Statement q(db, "SELECT id FROM subjects WHERE code = ?");
    q.bind(1, code);
    if (!q.executeStep())
      return Status::invalid(project_.path() + ": no subject '" + code +
                               "' (`kohl data subjects PROJECT` lists them)");
    subject_id = q.getColumn(0).getInt64();
  }
  std::vector<std::int64_t> ids;
  std::vector<std::string> files, hashes;
  {
    SQLite::Statement q(db, "SELECT id, path, hash FROM images WHERE subject_id = ? ORDER BY id");
    q.bind(1, subject_id);
    while (q.executeStep()) {
      ids.push_back(q.getColumn(0).getInt64());
      files.push_back(q.getColumn(1).getString());
      hashes.push_back(q.getColumn(2).getString());
    }
  }
  const std::string in = id_list(ids);
  const auto snapshots = strings_of(
      db, "SELECT DISTINCT s.name FROM snapshots s JOIN snapshot_images si ON si.snapshot_id = s.id "
          "WHERE si.image_id IN " + in + " ORDER BY s.name");
  const auto trained = strings_of(
      db, "SELECT DISTINCT r.name FROM runs r JOIN snapshot_images si ON si.snapshot_id = r.snapshot_id "
          "WHERE si.image_id IN " + in + " AND si.split = 'train' ORDER BY r.id");
  const auto evaluated = strings_of(
      db, "SELECT DISTINCT r.name FROM runs r JOIN evaluations e ON e.run_id = r.id "
          "JOIN predictions p ON p.evaluation_id = e.id WHERE p.image_id IN " + in + " ORDER BY r.id");
  const bool has_history = db.execAndGet("SELECT (SELECT COUNT(*) FROM undo_log) + (SELECT COUNT(*) FROM redo_log)").getInt64() > 0;

  Json report = {{"subject", code},          {"dry_run", dry_run},      {"images", static_cast<std::int64_t>(ids.size())},
                 {"files", files},           {"files_deleted", 0},      {"thumbnails_removed", 0},
                 {"snapshots", snapshots},   {"trained_runs", trained}, {"evaluated_runs", evaluated},
                 {"undo_history_cleared", has_history}, {"wal_truncated", false}};
  if (dry_run) return report;

  try {
    // Deleted rows are overwritten with zeros in the file, not just unlinked from the B-tree.
    db.exec("PRAGMA secure_delete = ON");
    const PragmaOnExit secure_delete_off{db, "PRAGMA secure_delete = OFF"};
    SQLite::Transaction tx(db);
    db.exec("DELETE FROM predictions WHERE image_id IN " + in);
    db.exec("DELETE FROM snapshot_images WHERE image_id IN " + in);
    db.exec("UPDATE snapshots SET images = (SELECT COUNT(*) FROM snapshot_images si WHERE si.snapshot_id = snapshots.id)");
    db.exec("DELETE FROM masks WHERE image_id IN " + in);
    db.exec("DELETE FROM images WHERE id IN " + in);  // labels, attributes, landmarks, boxes, pairs cascade
    {
      SQLite::Statement del(db, "DELETE FROM subjects WHERE id = ?");
      del.bind(1, subject_id);
      del.exec();
    }
    // Undo entries are SQL that re-inserts old values: they could bring the subject back.
    db.exec("DELETE FROM undo_log");
    db.exec("DELETE FROM redo_log");
    db.exec("DELETE FROM edit_steps");
    // What was done stays on record, without any annotation.
    const std::string when = now_iso8601();
    SQLite::Statement rec(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
    rec.bind(1, "erasure " + when + " " + code);
    rec.bind(2, Json{{"subject", code}, {"erased", when}, {"images", static_cast<std::int64_t>(ids.size())},
                     {"snapshots", snapshots}, {"trained_runs", trained}, {"evaluated_runs", evaluated}}
                    .dump());
    rec.exec();
    tx.commit();
    // The WAL still holds the pages as they were before: copy the new ones in and empty it.
    // Another program reading the project (kohl-studio) can hold the checkpoint back
    // ("busy"): then the old pages stay in PROJECT-wal until it closes, and the report says so.
    SQLite::Statement ckpt(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    report["wal_truncated"] = ckpt.executeStep() && ckpt.getColumn(0).getInt() == 0;
  } catch (const std::exception& e) {
    return Status::io_error(project_.path() + ": erasure of subject '" + code +
                            "' failed, the project is unchanged: " + e.what());
  }

  std::int64_t thumbs = 0, deleted = 0;
  std::error_code ec;
  for (const auto& h : hashes)
    if (fs::remove(fs::path(thumbnail_dir()) / (h + ".jpg"), ec)) ++thumbs;
  if (delete_files)
    for (const auto& f : files)
      if (fs::remove(f, ec)) ++deleted;
  report["thumbnails_removed"] = thumbs;
  report["files_deleted"] = deleted;
  return report;
}

// ---- thumbnails -----------------------------------------------------------------------------

std::string DataStore::thumbnail_dir() const { return project_.path() + ".thumbs"; }

sdk::Result<Json> DataStore::build_thumbnails(sdk::IProgress& progress, int threads, int size) {
  if (size < 16 || size > 4096) return Status::invalid("thumbnail size must be 16..4096 px");
  const fs::path dir = thumbnail_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::io_error(dir.string() + ": cannot create: " + ec.message());
  const auto all = entries();
  std::atomic<std::int64_t> built{0}, cached{0};
  std::mutex errors_mutex, db_mutex;
  Json errors = Json::array();
  progress.phase("thumbnails", static_cast<std::int64_t>(all.size()));
  parallel_for(all.size(), threads, [&](std::size_t i) {
    if (progress.cancelled()) return;
    const auto& e = all[i];
    const fs::path target = dir / (e.hash + ".jpg");
    auto fail = [&](const std::string& why) {
      std::lock_guard<std::mutex> lock(errors_mutex);
      errors.push_back({{"file", e.path}, {"reason", why}});
    };
    progress.advance(1);
    std::error_code ec2;
    if (fs::exists(target, ec2)) {
      ++cached;
      return;
    }
    std::vector<std::uint8_t> bytes;
    if (fs::exists(e.path, ec2)) {
      if (Status s = read_file_bytes(e.path, bytes); !s) return fail(s.message());
    } else {
      std::lock_guard<std::mutex> lock(db_mutex);  // one connection: one thread at a time
      bytes = embedded_bytes(e.id);
      if (bytes.empty()) return fail("file missing (run `kohl data relink`)");
    }
    // JPEG decoders can scale by 1/2, 1/4, 1/8 while decoding: far cheaper than full size.
    const int longest = std::max(e.width, e.height);
    int flags = cv::IMREAD_COLOR;
    if (longest >= size * 8) flags = cv::IMREAD_REDUCED_COLOR_8;
    else if (longest >= size * 4) flags = cv::IMREAD_REDUCED_COLOR_4;
    else if (longest >= size * 2) flags = cv::IMREAD_REDUCED_COLOR_2;
    auto img = codecs::decode(bytes, flags);
    if (!img) return fail(img.status().message());
    cv::Mat thumb = img.value();
    const int now_longest = std::max(thumb.cols, thumb.rows);
    if (now_longest > size) {
      const double f = static_cast<double>(size) / now_longest;
      cv::resize(thumb, thumb, cv::Size(), f, f, cv::INTER_AREA);
    }
    std::vector<std::uint8_t> jpg;
    if (Status s = codecs::encode(".jpg", thumb, jpg, {cv::IMWRITE_JPEG_QUALITY, 85}); !s) return fail(s.message());
    // Written beside and renamed: a reader never sees half a thumbnail.
    const fs::path tmp = target.string() + ".tmp" + std::to_string(i);
    {
      std::ofstream out(tmp, std::ios::binary);
      out.write(reinterpret_cast<const char*>(jpg.data()), static_cast<std::streamsize>(jpg.size()));
      if (!out) return fail(tmp.string() + ": cannot write");
    }
    fs::rename(tmp, target, ec2);
    if (ec2) return fail(target.string() + ": " + ec2.message());
    ++built;
  });
  if (progress.cancelled()) return Status::cancelled("thumbnails cancelled; finished ones are kept");
  return Json{{"built", built.load()}, {"cached", cached.load()}, {"errors", errors}, {"folder", dir.string()}};
}

}  // namespace kohl::core
