// Dispatch and helpers shared by the dataset format readers and writers.
#include "kohl/core/formats.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

namespace kohl::core {

namespace fs = std::filesystem;
using sdk::Status;

std::vector<std::string> import_formats() { return {"folder", "csv", "kohl", "coco-keypoints", "mt", "celebamask"}; }
std::vector<std::string> export_formats() { return {"folder", "csv", "kohl", "coco-keypoints"}; }

sdk::Result<ImportBatch> read_dataset(const std::string& format, const std::string& dir, const ReadOptions& o) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::invalid(dir + ": no such folder");
  if (!fs::is_directory(dir, ec)) return Status::invalid(dir + ": not a folder (give the dataset's top folder)");
  std::string root = fs::absolute(dir).lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();  // "fixtures/folder/" is named "folder"
  sdk::Result<ImportBatch> r = Status::invalid("unknown format");
  if (format == "folder") r = formats::read_folder(root, o);
  else if (format == "csv") r = formats::read_csv(root, o);
  else if (format == "kohl") r = formats::read_kohl(root, o);
  else if (format == "coco-keypoints") r = formats::read_coco_keypoints(root, o);
  else if (format == "mt") r = formats::read_mt(root, o);
  else if (format == "celebamask") r = formats::read_celebamask(root, o);
  else {
    std::string list;
    for (const auto& f : import_formats()) list += (list.empty() ? "" : ", ") + f;
    return Status::invalid("unknown import format '" + format + "' (expected one of: " + list + ")");
  }
  if (!r) return r;
  ImportBatch b = std::move(r).value();
  b.format = format;
  b.root = root;
  // --remap applies to every format's masks; the store finds the table (built in or defined).
  if (!o.remap_to.empty())
    for (auto& e : b.entries)
      if (!e.mask_file.empty()) e.mask_remap_to = o.remap_to;
  if (!o.license.empty()) b.source.license = o.license;
  if (!o.consent.empty()) b.source.consent = o.consent;
  return b;
}

sdk::Result<sdk::Json> write_dataset(const std::string& format, const std::vector<ImageEntry>& entries,
                                     const std::map<std::string, std::vector<std::string>>& label_sets,
                                     const std::map<std::string, std::vector<std::string>>& label_maps,
                                     const std::string& out, const WriteOptions& o) {
  std::error_code ec;
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
    return Status::invalid(out + ": exists and is not an empty folder (export never overwrites)");
  fs::create_directories(out, ec);
  if (ec) return Status::io_error(out + ": cannot create folder: " + ec.message());
  Status s;
  if (format == "folder") s = formats::write_folder(entries, out, o, label_sets);
  else if (format == "csv") s = formats::write_csv(entries, out, o);
  else if (format == "kohl") s = formats::write_kohl(entries, out, o, label_sets, label_maps);
  else if (format == "coco-keypoints") s = formats::write_coco_keypoints(entries, out, o);
  else {
    std::string list;
    for (const auto& f : export_formats()) list += (list.empty() ? "" : ", ") + f;
    return Status::invalid("unknown export format '" + format + "' (expected one of: " + list + ")");
  }
  if (!s) return s;
  sdk::Json files = sdk::Json::array();
  for (const auto& e : fs::directory_iterator(out)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  return sdk::Json{{"images", entries.size()}, {"out", out}, {"format", format}, {"files", files}};
}

namespace formats {

bool has_image_extension(const std::string& path) {
  // Called for every file of a dataset: plain string work, no fs::path.
  static const char* const kExt[] = {"jpg", "jpeg", "png", "bmp", "webp", "gif", "tif", "tiff",
                                     "heic", "heif", "jp2", "ppm", "pgm", "avif"};
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || path.size() - dot > 5) return false;
  char ext[6] = {};
  for (std::size_t i = dot + 1, k = 0; i < path.size(); ++i, ++k)
    ext[k] = static_cast<char>(std::tolower(static_cast<unsigned char>(path[i])));
  for (const char* e : kExt)
    if (std::strcmp(ext, e) == 0) return true;
  return false;
}

std::string relative_to(const std::string& path, const std::string& root) {
  // Fast path for what the readers pass: a file found under the (normalised) root.
  if (path.size() > root.size() + 1 && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/' &&
      path.find("/.", root.size()) == std::string::npos)
    return path.substr(root.size() + 1);
  return fs::path(path).lexically_normal().lexically_relative(fs::path(root).lexically_normal()).string();
}

std::vector<std::string> find_image_files(const std::string& dir, std::vector<ImportError>& errors) {
  // POSIX readdir with the type it reports (d_type), and plain string paths: one
  // std::filesystem::path per file (it splits every path into components) made listing
  // cost ~6.5 us a file, five times what readdir itself needs (bench/import).
  std::vector<std::string> out;
  // Folders already entered, by device and inode: a symlink back to one is a loop.
  std::set<std::pair<dev_t, ino_t>> seen;
  std::vector<std::string> stack{dir};
  while (!stack.empty()) {
    const std::string d = std::move(stack.back());
    stack.pop_back();
    struct stat st {};
    if (::stat(d.c_str(), &st) != 0) {
      errors.push_back({d, "cannot enter folder (broken symlink or symlink loop)"});
      continue;
    }
    if (!seen.insert({st.st_dev, st.st_ino}).second) {
      errors.push_back({d, "symlink loop: this folder was already visited; not followed"});
      continue;
    }
    DIR* dp = ::opendir(d.c_str());
    if (dp == nullptr) {
      errors.push_back({d, std::string("cannot list folder: ") + std::strerror(errno)});
      continue;
    }
    const std::string prefix = (!d.empty() && d.back() == '/') ? d : d + '/';
    for (;;) {
      errno = 0;  // readdir returns null both at the end and on an error, told apart by errno
      const dirent* ent = ::readdir(dp);
      if (ent == nullptr) break;
      const char* name = ent->d_name;
      if (name[0] == '.') continue;  // ".", ".." and hidden files and folders
      std::string p = prefix + name;
      unsigned char type = ent->d_type;
      if (type == DT_UNKNOWN || type == DT_LNK) {
        // Some file systems report no type; a symlink is followed (stat), and one that
        // leads nowhere is reported.
        struct stat ls {};
        if (::stat(p.c_str(), &ls) != 0) {
          errors.push_back({p, "broken symlink or symlink loop"});
          continue;
        }
        type = S_ISDIR(ls.st_mode) ? DT_DIR : S_ISREG(ls.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type == DT_DIR) stack.push_back(std::move(p));
      else if (type == DT_REG && has_image_extension(p)) out.push_back(std::move(p));
    }
    if (errno != 0) errors.push_back({d, std::string("cannot list folder: ") + std::strerror(errno)});
    ::closedir(dp);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string safe_name(const std::string& name) {
  std::string out;
  for (char c : name) out += (c == '/' || c == '\\' || c == '\0') ? '_' : c;
  if (out.empty() || out == "." || out == "..") out = "_" + out + "_";
  return out;
}

std::string export_path(const ImageEntry& e) {
  std::string rel = e.rel_path.empty() ? fs::path(e.path).filename().string() : e.rel_path;
  // Never write outside the export folder.
  fs::path safe;
  for (const auto& part : fs::path(rel)) {
    const std::string s = part.string();
    if (s == ".." || s == "." || s == "/" || s.empty()) continue;
    safe /= part;
  }
  const std::string ds = e.dataset.empty() ? "images" : e.dataset;
  return (fs::path(ds) / safe).string();
}

Status copy_image(const ImageEntry& e, const std::string& out, const std::string& rel, const WriteOptions& o) {
  std::vector<std::uint8_t> bytes;
  if (Status s = o.read_image(e, bytes); !s) return s;
  const fs::path target = fs::path(out) / rel;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  std::ofstream f(target, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) return Status::io_error(target.string() + ": cannot write");
  return Status::ok();
}

}  // namespace formats
}  // namespace kohl::core
