// csv: a table with a header row, one image per row.
//   SRC/*.csv (exactly one), image paths relative to SRC (or absolute).
//   Columns: path (ReadOptions::path_column), subject, split, review, label.<set>, attr.<name>;
//   --label COLUMN[:SET] and --attr COLUMN map other column names. Numeric attribute
//   values become numbers, others categories. Quoted fields ("a, b", "say ""hi""") work.
#include <filesystem>
#include <fstream>
#include <cmath>
#include <set>
#include <sstream>

#include "kohl/core/formats.hpp"

namespace kohl::core::formats {

namespace fs = std::filesystem;
using sdk::Status;

namespace {

// RFC 4180 fields of one record; `ok` false on an unterminated quote.
std::vector<std::string> split_csv_line(const std::string& line, bool& ok) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted = false;
  ok = true;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  if (quoted) ok = false;
  fields.push_back(cur);
  return fields;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

bool parse_number(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(v);
}

}  // namespace

sdk::Result<ImportBatch> read_csv(const std::string& root, const ReadOptions& o) {
  std::vector<fs::path> tables;
  for (const auto& e : fs::directory_iterator(root))
    if (e.path().extension() == ".csv") tables.push_back(e.path());
  if (tables.size() != 1)
    return Status::invalid(root + ": expected exactly one .csv file in the folder, found " + std::to_string(tables.size()));
  const std::string table = tables[0].string();
  std::ifstream in(table);
  std::string line;
  if (!std::getline(in, line)) return Status::invalid(table + ": empty file (expected a header row)");
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a UTF-8 byte-order mark (Excel writes one)
  bool ok = true;
  const auto header = split_csv_line(line, ok);
  auto col = [&](const std::string& name) -> int {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  };
  const int path_col = col(o.path_column);
  if (path_col < 0) return Status::invalid(table + ": no column '" + o.path_column + "' in the header (name it with --path-column)");
  struct Mapped {
    int column;
    std::string name;
  };
  std::vector<Mapped> labels, attrs;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i].rfind("label.", 0) == 0) labels.push_back({static_cast<int>(i), header[i].substr(6)});
    if (header[i].rfind("attr.", 0) == 0) attrs.push_back({static_cast<int>(i), header[i].substr(5)});
  }
  for (const auto& spec : o.label_columns) {
    const auto colon = spec.find(':');
    const std::string c = spec.substr(0, colon), set = colon == std::string::npos ? c : spec.substr(colon + 1);
    const int idx = col(c);
    if (idx < 0) return Status::invalid(table + ": --label names column '" + c + "', which the header does not have");
    labels.push_back({idx, set});
  }
  for (const auto& c : o.attribute_columns) {
    const int idx = col(c);
    if (idx < 0) return Status::invalid(table + ": --attr names column '" + c + "', which the header does not have");
    attrs.push_back({idx, c});
  }
  const int subject_col = col(o.subject_column), split_col = col("split"), review_col = col("review");

  ImportBatch b;
  b.source.name = fs::path(root).filename().string();
  int row = 1;
  while (std::getline(in, line)) {
    ++row;
    if (line.empty() || line == "\r") continue;
    const std::string where = table + ":" + std::to_string(row);
    auto fields = split_csv_line(line, ok);
    // A quoted field may span lines (RFC 4180): read on until its quote closes.
    for (std::string more; !ok && std::getline(in, more); ++row) {
      line += "\n" + more;
      fields = split_csv_line(line, ok);
    }
    if (!ok) {
      b.errors.push_back({where, "unterminated quoted field"});
      continue;
    }
    if (fields.size() != header.size()) {
      b.errors.push_back({where, "row has " + std::to_string(fields.size()) + " fields, the header has " +
                                     std::to_string(header.size())});
      continue;
    }
    ImageEntry e;
    const std::string p = fields[static_cast<std::size_t>(path_col)];
    if (p.empty()) {
      b.errors.push_back({where, "empty '" + o.path_column + "' field"});
      continue;
    }
    e.path = fs::path(p).is_absolute() ? p : (fs::path(root) / p).lexically_normal().string();
    e.rel_path = fs::path(p).is_absolute() ? fs::path(p).filename().string() : fs::path(p).lexically_normal().string();
    if (subject_col >= 0) e.subject = fields[static_cast<std::size_t>(subject_col)];
    if (split_col >= 0) e.split = fields[static_cast<std::size_t>(split_col)];
    if (review_col >= 0 && !fields[static_cast<std::size_t>(review_col)].empty()) e.review = fields[static_cast<std::size_t>(review_col)];
    if (!e.split.empty() && e.split != "train" && e.split != "val" && e.split != "test") {
      b.errors.push_back({where, "split '" + e.split + "': expected train, val, test or empty"});
      continue;
    }
    if (e.review != kReviewUnreviewed && e.review != kReviewAccepted && e.review != kReviewRejected) {
      b.errors.push_back({where, "review '" + e.review + "': expected unreviewed, accepted or rejected"});
      continue;
    }
    for (const auto& m : labels)
      if (!fields[static_cast<std::size_t>(m.column)].empty()) e.labels[m.name] = fields[static_cast<std::size_t>(m.column)];
    for (const auto& m : attrs) {
      const std::string& v = fields[static_cast<std::size_t>(m.column)];
      if (v.empty()) continue;
      double d = 0;
      if (parse_number(v, d)) e.attributes[m.name] = d;
      else e.attributes[m.name] = v;
    }
    b.entries.push_back(std::move(e));
  }
  return b;
}

Status write_csv(const std::vector<ImageEntry>& entries, const std::string& out, const WriteOptions& o) {
  std::set<std::string> sets, attrs;
  for (const auto& e : entries) {
    for (const auto& [k, v] : e.labels) sets.insert(k);
    for (const auto& [k, v] : e.attributes) attrs.insert(k);
  }
  std::ofstream f(fs::path(out) / "labels.csv");
  f << "path,subject,split,review";
  for (const auto& s : sets) f << "," << csv_field("label." + s);
  for (const auto& a : attrs) f << "," << csv_field("attr." + a);
  f << "\n";
  ExportPaths paths;
  for (const auto& e : entries) {
    const std::string rel = paths((fs::path("images") / export_path(e)).string(), e);
    if (Status s = copy_image(e, out, rel, o); !s) return s;
    f << csv_field(rel) << "," << csv_field(e.subject) << "," << e.split << "," << e.review;
    for (const auto& s : sets) {
      auto it = e.labels.find(s);
      f << "," << (it == e.labels.end() ? "" : csv_field(it->second));
    }
    for (const auto& a : attrs) {
      auto it = e.attributes.find(a);
      f << ",";
      if (it == e.attributes.end()) continue;
      if (const double* d = std::get_if<double>(&it->second)) {
        std::ostringstream os;
        os.precision(17);
        os << *d;
        f << os.str();
      } else {
        f << csv_field(std::get<std::string>(it->second));
      }
    }
    f << "\n";
  }
  if (!f) return Status::io_error(out + "/labels.csv: cannot write");
  return Status::ok();
}

}  // namespace kohl::core::formats
