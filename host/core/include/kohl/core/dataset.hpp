// The annotation model: one image with everything known about it, as an importer reads it
// from a source and as the project stores it. Formats (host/core/src/formats/) turn a
// source folder into an ImportBatch; DataStore ingests batches into a project and hands
// entries back for export, snapshots and training. Vocabulary: docs/datasets.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kohl/sdk/sample.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::core {

// Persisted review states.
constexpr const char* kReviewUnreviewed = "unreviewed";
constexpr const char* kReviewAccepted = "accepted";
constexpr const char* kReviewRejected = "rejected";
// Persisted pair kinds: a = bare face, b = the same face made up; or a = source, b = reference.
constexpr const char* kPairBareMakeup = "bare_makeup";
constexpr const char* kPairSourceReference = "source_reference";

// Where images come from, with the terms they may be used under.
struct SourceInfo {
  std::string name;       // unique in the project; defaults to the dataset name
  std::string license;    // e.g. "research only (MT dataset terms)"
  std::string consent;    // consent basis, e.g. "synthetic: no person"
  bool synthetic = false;
};

struct ImageEntry {
  std::int64_t id = 0;    // 0 until stored
  // File: as found (import) or as stored.
  std::string path;       // absolute
  std::string rel_path;   // relative to the dataset root; export writes it there
  std::string hash;       // XXH3-128 hex (set by the store)
  std::string format;     // jpeg | png | bmp | webp (set by the store)
  int width = 0, height = 0;
  std::string dataset, source;
  // Annotations.
  std::string subject;    // pseudonymous id; "" = unknown
  std::string split;      // "" | train | val | test
  std::string review = kReviewUnreviewed;
  std::string reviewer;
  std::string annotator;  // who made the annotations below: person:NAME | auto:ID@VER | import:FORMAT
  // Who made one annotation when it is not `annotator`, by key: "labels.<set>",
  // "attributes.<name>", "landmarks.<i>", "boxes.<i>" (index in the vectors below), "mask".
  std::map<std::string, std::string> annotators;
  const std::string& annotator_of(const std::string& key) const {
    auto it = annotators.find(key);
    return it == annotators.end() ? annotator : it->second;
  }
  std::map<std::string, std::string> labels;                // label set -> class
  std::map<std::string, sdk::AttributeValue> attributes;    // numeric or categorical
  std::vector<sdk::Landmarks> landmarks;
  std::vector<sdk::Box> boxes;
  // Region mask: import reads `mask_file` (an 8-bit label PNG) in `mask_label_map`,
  // remapped to `mask_remap_to` when set; a stored entry carries the decoded mask.
  std::string mask_file;
  std::string mask_label_map;
  std::string mask_remap_to;
  std::optional<sdk::RegionMask> mask;
  // Pairs: entries sharing `pair_group` are linked by role (bare/makeup, source/reference).
  std::string pair_group;
  std::string pair_role;  // "bare" | "makeup" | "source" | "reference"
};

struct ImportError {
  std::string file;
  std::string reason;
};

// What a format reader found in a source folder.
struct ImportBatch {
  std::string format;
  std::string root;  // absolute
  SourceInfo source;
  std::vector<ImageEntry> entries;
  std::vector<ImportError> errors;  // problems found while reading the source (bad CSV row, ...)
  std::map<std::string, std::vector<std::string>> label_sets;  // declared classes, in order
  std::map<std::string, std::vector<std::string>> label_maps;  // user-defined label maps
  // Remap tables (from map, to map) -> lut; the store adds the project's own and the built-in
  // celebamask-19 -> mt-14 before checking masks.
  std::map<std::pair<std::string, std::string>, std::vector<int>> label_remaps;
};

struct ImportOptions {
  std::string dataset;          // name; default: the source folder's name
  std::uint64_t max_pixels = 64'000'000;
  bool embed = false;           // store the file bytes in the project
  int threads = 2;              // readers/hashers
  std::string annotator;        // default: import:FORMAT
};

struct ImportReport {
  std::int64_t imported = 0;
  std::int64_t skipped = 0;     // not imported: errors + duplicates
  std::int64_t duplicates = 0;  // already in the project (same content hash)
  std::vector<ImportError> errors;
  std::string dataset;
};

}  // namespace kohl::core
