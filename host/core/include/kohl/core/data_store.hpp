// DataStore: the datasets and annotations of one open project. Ingests what format readers
// found (one transaction per import, so a failed or killed import leaves the project as it
// was), answers queries, applies undoable edits, makes splits and snapshots, relinks moved
// files. Not thread-safe: one DataStore per thread (the GUI runs jobs in a child process).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kohl/core/dataset.hpp"
#include "kohl/core/project.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/progress.hpp"

namespace kohl::core {

struct EntryFilter {
  std::string dataset;       // "" = all
  std::string split;         // "" = all
  std::vector<std::int64_t> ids;  // empty = all
};

struct SplitOptions {
  std::vector<double> ratios = {0.8, 0.1, 0.1};  // train, val[, test]; normalised
  std::string stratify;      // label set to keep balanced ("" = none)
  bool by_subject = false;   // keep every subject's images in one split
  std::uint64_t seed = 0;
  std::string dataset;       // "" = all images
};

struct SnapshotInfo {
  std::string name, created, digest;
  std::int64_t images = 0;
};

// What write_annotations() stores for one image.
struct AnnotationUpdate {
  std::int64_t image = 0;
  std::vector<sdk::Landmarks> landmarks;
  std::vector<sdk::Box> boxes;
  std::optional<sdk::RegionMask> mask;
  std::map<std::string, sdk::AttributeValue> attributes;
  std::map<std::string, std::string> labels;
};

class DataStore {
 public:
  explicit DataStore(Project& project) : project_(project) {}

  // ---- import -------------------------------------------------------------------------
  // Reads, hashes and checks every entry's file on `options.threads` threads, then writes
  // all good entries in one transaction. Per-file problems go into the report and the rest
  // goes on. Cancelling (progress.cancelled()) rolls everything back.
  sdk::Result<ImportReport> ingest(ImportBatch batch, const ImportOptions& options, sdk::IProgress& progress);

  // ---- read ---------------------------------------------------------------------------
  std::vector<ImageEntry> entries(const EntryFilter& filter = {}, bool with_masks = false) const;
  std::optional<ImageEntry> entry(std::int64_t id, bool with_mask = true) const;
  std::map<std::string, std::vector<std::string>> label_sets() const;
  std::map<std::string, std::vector<std::string>> label_maps() const;
  std::map<std::pair<std::string, std::string>, std::vector<int>> label_remaps() const;
  // Defines a user label map (names by value) / a remap table between two known maps
  // (one entry per label of `from`, each a label of `to`). Errors say what does not fit.
  sdk::Status define_label_map(const std::string& name, const std::vector<std::string>& labels);
  sdk::Status define_remap(const std::string& from, const std::string& to, const std::vector<int>& lut);
  std::vector<std::string> datasets() const;
  std::map<std::string, SourceInfo> sources() const;
  // kohl data ls --json: {images, by_split, by_label, by_source, by_dataset, subjects, ...}
  sdk::Json summary() const;
  // kohl data stats --json: summary + attribute histograms + review states.
  sdk::Json stats() const;
  // The file bytes stored with --embed ("" when not embedded).
  std::vector<std::uint8_t> embedded_bytes(std::int64_t id) const;

  // ---- undoable edits: each is one transaction and one undo step ------------------------
  sdk::Status set_label(std::int64_t image, const std::string& label_set, const std::string& cls,
                        const std::string& annotator);
  sdk::Status set_attribute(std::int64_t image, const std::string& name, const sdk::AttributeValue& value,
                            const std::string& annotator);
  sdk::Status set_review(std::int64_t image, const std::string& state, const std::string& reviewer);
  // Undoes / redoes the last step; returns its description. Errors when there is none.
  // Writes what one annotator (an auto-annotator, a tool) found on several images, as ONE
  // undoable step. Per image: the annotator's earlier landmarks and boxes are replaced; a
  // mask becomes the image's current mask (the old row is kept for snapshots); attributes
  // and labels are upserted; the review state goes back to unreviewed so a person looks
  // again. Called from one thread (the project's single writer). On failure nothing of the
  // step is written and the message names the image.
  sdk::Status write_annotations(const std::vector<AnnotationUpdate>& updates, const std::string& annotator,
                                const std::string& description);

  // Whether an annotator whose name starts with `annotator_prefix` wrote landmarks or boxes
  // on the image (auto-annotation's --skip-done).
  bool has_annotations_by(std::int64_t image, const std::string& annotator_prefix) const;

  // Who made the image's current mask; nullopt when it has none.
  std::optional<std::string> current_mask_annotator(std::int64_t image) const;

  sdk::Result<std::string> undo();
  sdk::Result<std::string> redo();

  // ---- splits and snapshots -----------------------------------------------------------
  // Assigns train/val/test (one undo step). Returns counts per split.
  sdk::Result<sdk::Json> split(const SplitOptions& options);
  // Freezes every image's split, annotations and mask; later edits do not change it.
  sdk::Result<SnapshotInfo> snapshot(const std::string& name);
  std::vector<SnapshotInfo> snapshots() const;
  // The entries as frozen in a snapshot (split "" = all).
  sdk::Result<std::vector<ImageEntry>> snapshot_entries(const std::string& name, const std::string& split = "",
                                                        bool with_masks = false) const;

  // ---- files --------------------------------------------------------------------------
  // Finds moved files: hashes every image file under `folder` and points images whose
  // content matches (and whose stored path no longer exists) at their new place.
  sdk::Result<sdk::Json> relink(const std::string& folder, sdk::IProgress& progress, int threads = 2);

  // ---- subjects and erasure (GDPR Art. 17 / BIPA; docs/datasets.md "Subjects") ---------
  // Every subject with its image count and the runs whose training split held its images.
  sdk::Json subjects() const;
  // Erases a subject with everything derived from it in the project, in one transaction,
  // with SQLite's secure_delete on (freed pages are zeroed) and the WAL checkpointed and
  // truncated afterwards: its images' rows (embedded bytes included), labels, attributes,
  // landmarks, boxes, masks, pairs, their rows in every snapshot and every evaluation's
  // predictions, their thumbnails, the subject's row, and the undo/redo history (which
  // could bring annotations back). The image files themselves are deleted only with
  // `delete_files`. A record of the erasure (subject, time, counts, no annotations) stays
  // in the project. With `dry_run` nothing changes and the report says what would.
  // Report: {subject, dry_run, images, files: [...], files_deleted, thumbnails_removed,
  // snapshots: [...], trained_runs: [...], evaluated_runs: [...], undo_history_cleared,
  // wal_truncated (false while another program reads the project: the WAL keeps the old
  // pages until it closes)}.
  // trained_runs are the models trained on the subject: their checkpoints and any exported
  // bundles still carry what they learnt from it; retrain them without it.
  sdk::Result<sdk::Json> erase_subject(const std::string& code, bool dry_run, bool delete_files);

  // The thumbnail cache: <project>.thumbs/<hash>.jpg, longest side `size` px (never
  // upscaled). Rebuildable: delete the folder and run again. Images whose pixels do not
  // decode are reported here. Returns {built, cached, errors: [{file, reason}], folder}.
  std::string thumbnail_dir() const;
  sdk::Result<sdk::Json> build_thumbnails(sdk::IProgress& progress, int threads = 2, int size = 256);

 private:
  // Runs `body` as one undoable step named `description`.
  sdk::Status edit(const std::string& description, const std::function<void()>& body);
  Project& project_;
};

// Entry as JSON (annotations only; no pixels): the record Kohl's own format and snapshots store.
sdk::Json entry_to_json(const ImageEntry& e);
sdk::Result<ImageEntry> entry_from_json(const sdk::Json& j);

}  // namespace kohl::core
