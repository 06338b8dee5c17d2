// Deploy-bundle manifests: written after the files, checked before anything uses them.
#include "kohl/core/bundle.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "kohl/core/image_probe.hpp"
#include "kohl/core/version.hpp"

namespace kohl::core {

namespace fs = std::filesystem;
using sdk::Json;
using sdk::Result;
using sdk::Status;

namespace {

// {"bytes", "xxh3_128"} of one file of the bundle.
Result<Json> file_entry(const fs::path& dir, const std::string& name) {
  std::vector<std::uint8_t> bytes;
  if (Status s = read_file_bytes((dir / name).string(), bytes, 8ull << 30); !s)
    return Status::io_error((dir / name).string() + ": " + s.message());
  return Json{{"bytes", bytes.size()}, {"xxh3_128", content_hash(bytes.data(), bytes.size())}};
}

}  // namespace

Result<Json> write_bundle_manifest(const std::string& dir, const Json& header) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (name != kBundleManifest) names.push_back(name);
  }
  if (ec) return Status::io_error(dir + ": cannot list the bundle: " + ec.message());
  std::sort(names.begin(), names.end());
  Json manifest = header;
  manifest["format"] = kBundleFormat;
  manifest["format_version"] = kBundleFormatVersion;
  manifest["hash"] = kBundleHash;
  if (!manifest.contains("kohl_version")) manifest["kohl_version"] = kKohlVersion;
  manifest["files"] = Json::object();
  for (const auto& n : names) {
    auto entry = file_entry(dir, n);
    if (!entry) return entry.status();
    manifest["files"][n] = entry.value();
  }
  const fs::path path = fs::path(dir) / kBundleManifest;
  std::ofstream out(path, std::ios::trunc);
  out << manifest.dump(2) << "\n";
  out.close();
  if (!out) return Status::io_error(path.string() + ": cannot write the manifest");
  return manifest;
}

Result<Json> verify_bundle(const std::string& dir) {
  const fs::path root = dir;
  const fs::path mpath = root / kBundleManifest;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::io_error(dir + ": not a bundle folder (no such directory)");
  if (!fs::is_regular_file(mpath, ec))
    return Status::invalid(dir + ": not a Kohl bundle (no " + std::string(kBundleManifest) + ")");
  Json m;
  {
    std::ifstream in(mpath);
    m = Json::parse(in, nullptr, false);
  }
  if (m.is_discarded() || !m.is_object())
    return Status::invalid(mpath.string() + ": the manifest is not a JSON object");
  if (m.value("format", std::string()) != kBundleFormat)
    return Status::invalid(mpath.string() + ": format '" + m.value("format", std::string()) + "' is not " +
                           kBundleFormat);
  const int version = m.value("format_version", 0);
  if (version < 1 || version > kBundleFormatVersion)
    return Status::unsupported(mpath.string() + ": bundle format version " + std::to_string(version) +
                               " (this Kohl reads 1 to " + std::to_string(kBundleFormatVersion) + ")");
  if (m.value("hash", std::string()) != kBundleHash)
    return Status::unsupported(mpath.string() + ": hash '" + m.value("hash", std::string()) + "' (expected " +
                               kBundleHash + ")");
  if (!m.contains("files") || !m["files"].is_object() || m["files"].empty())
    return Status::invalid(mpath.string() + ": the manifest lists no files");
  std::vector<std::string> listed;
  for (const auto& [name, f] : m["files"].items()) {
    if (!f.is_object() || !f.contains("bytes") || !f["bytes"].is_number_integer() || !f.contains("xxh3_128"))
      return Status::invalid(mpath.string() + ": the entry of '" + name + "' lacks bytes or xxh3_128");
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == ".." || name == kBundleManifest)
      return Status::invalid(mpath.string() + ": file entry '" + name + "' is not a plain file name");
    listed.push_back(name);
    const fs::path p = root / name;
    if (!fs::is_regular_file(p, ec))
      return Status::invalid("bundle " + dir + ": " + name + " is missing (the manifest lists it)");
    const auto size = static_cast<std::int64_t>(fs::file_size(p, ec));
    if (size != f["bytes"].get<std::int64_t>())
      return Status::invalid("bundle " + dir + ": " + name + " was changed or truncated: " + std::to_string(size) +
                             " bytes, the manifest says " + std::to_string(f["bytes"].get<std::int64_t>()));
    auto entry = file_entry(root, name);
    if (!entry) return entry.status();
    if (entry.value()["xxh3_128"] != f["xxh3_128"])
      return Status::invalid("bundle " + dir + ": " + name +
                             " was changed after export (its hash differs from the manifest's)");
  }
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (name == kBundleManifest) continue;
    if (std::find(listed.begin(), listed.end(), name) == listed.end())
      return Status::invalid("bundle " + dir + ": " + name + " is not listed in the manifest");
  }
  return m;
}

}  // namespace kohl::core
