// Auto-annotation over a project's images (see annotate.hpp).
#include "kohl/faces/annotate.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "kohl/core/codecs.hpp"
#include "kohl/core/parallel.hpp"
#include "kohl/core/version.hpp"
#include "kohl/sdk/layouts.hpp"

namespace kohl::faces {

using sdk::Json;
using sdk::Status;

std::string auto_annotator() { return std::string("auto:") + kAutoAnnotatorId + "@" + core::kKohlVersion; }

sdk::Json annotator_description() {
  DetectorOptions o;
  const char* env = std::getenv("KOHL_DLIB_MODEL");
  return {{"id", kAutoAnnotatorId},
          {"kind", "annotator"},
          {"name", "Face auto-annotator"},
          {"version", core::kKohlVersion},
          {"built_in", true},
          {"summary",
           "Detects faces (dlib HOG, OpenCV Haar cascade), finds 68 landmarks (dlib shape predictor), derives MT-14 "
           "regions and measures skin tone (ITA, Fitzpatrick, Monk, undertone). Used by `kohl annotate auto`, "
           "`kohl faces detect` and `kohl tryon`."},
          {"license_notes", kLandmarkModelLicense},
          {"landmark_model", env && *env ? env : KOHL_DLIB_MODEL_DEFAULT},
          {"detectors", {kDetectorDlibHog, kDetectorOpencvHaar}}};
}

namespace {

// Detectors are not thread-safe: workers borrow one per image and give it back. A new
// one shares the landmark model, so making one costs little.
class DetectorPool {
 public:
  explicit DetectorPool(DetectorOptions options) : options_(std::move(options)) {}
  sdk::Result<std::unique_ptr<FaceDetector>> take() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        auto d = std::move(free_.back());
        free_.pop_back();
        return d;
      }
    }
    return FaceDetector::create(options_);
  }
  void give(std::unique_ptr<FaceDetector> d) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(d));
  }

 private:
  DetectorOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<FaceDetector>> free_;
};

struct Outcome {
  bool ok = false;
  std::string error;
  std::size_t faces = 0;
  core::AnnotationUpdate update;
};

Outcome annotate_one(core::DataStore& store, const core::ImageEntry& e, FaceDetector& detector) {
  Outcome o;
  sdk::Result<cv::Mat> img = Status::error("");
  const auto embedded = store.embedded_bytes(e.id);
  img = embedded.empty() ? core::codecs::read(e.path) : core::codecs::decode(embedded);
  if (!img) {
    o.error = img.status().message();
    return o;
  }
  auto faces = analyze_faces(img.value(), detector);
  if (!faces) {
    o.error = faces.status().message();
    return o;
  }
  o.ok = true;
  o.faces = faces.value().size();
  o.update.image = e.id;
  // Every face gets its box and landmarks; the mask and the skin tone describe the largest
  // face (a label image holds one face parse; the store keeps one current mask per image).
  cv::Mat labels;
  for (const auto& a : faces.value()) {
    o.update.boxes.push_back(sdk::Box{a.face.box, "face", a.face.score});
    if (a.face.landmarks.size() == 68) o.update.landmarks.push_back({sdk::kLayoutDlib68, a.face.landmarks});
  }
  if (!faces.value().empty()) {
    const auto& a = faces.value().front();
    if (!a.regions.labels.empty()) o.update.mask = sdk::RegionMask{sdk::kLabelMapMt14, a.regions.labels};
    if (a.skin) {
      const auto& s = *a.skin;
      o.update.attributes["skin_ita"] = s.ita;
      o.update.attributes["skin_lab_l"] = s.lab.L;
      o.update.attributes["skin_lab_a"] = s.lab.a;
      o.update.attributes["skin_lab_b"] = s.lab.b;
      o.update.attributes["skin_monk"] = static_cast<double>(s.monk);
      o.update.attributes["skin_fitzpatrick"] = std::string(sdk::color::fitzpatrick_roman(s.fitzpatrick));
      o.update.attributes["skin_undertone"] = s.undertone;
    }
  }
  return o;
}

}  // namespace

sdk::Result<Json> auto_annotate(core::DataStore& store, const AnnotateOptions& options, sdk::IProgress& progress) {
  auto first = FaceDetector::create(options.detector);
  if (!first) return first.status();
  const std::string landmark_model = first.value()->landmark_model();
  DetectorPool pool(first.value()->options());
  pool.give(std::move(first).value());

  core::EntryFilter filter;
  filter.dataset = options.dataset;
  auto entries = store.entries(filter);
  if (!options.dataset.empty() && entries.empty()) {
    const auto names = store.datasets();
    if (std::find(names.begin(), names.end(), options.dataset) == names.end())
      return Status::invalid("no dataset '" + options.dataset + "' in the project (see `kohl data ls`)");
  }
  const std::string who = auto_annotator();
  Json report = {{"images", entries.size()}, {"annotated", 0}, {"no_face", 0}, {"skipped", 0}, {"faces", 0}, {"masks_kept", 0},
                 {"annotator", who}, {"landmark_model", landmark_model},
                 {"license", landmark_model.empty() ? "" : kLandmarkModelLicense}, {"errors", Json::array()}};
  if (options.skip_done) {
    const std::string prefix = std::string("auto:") + kAutoAnnotatorId + "@";
    const auto before = entries.size();
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const core::ImageEntry& e) { return store.has_annotations_by(e.id, prefix); }),
                  entries.end());
    report["skipped"] = before - entries.size();
  }

  progress.phase("auto-annotate", static_cast<std::int64_t>(entries.size()));
  const std::size_t chunk = static_cast<std::size_t>(std::max(1, options.chunk));
  for (std::size_t start = 0; start < entries.size(); start += chunk) {
    if (progress.cancelled()) {
      report["cancelled"] = true;
      break;
    }
    const std::size_t n = std::min(chunk, entries.size() - start);
    std::vector<Outcome> out(n);
    core::parallel_for(n, options.threads, [&](std::size_t i) {
      if (progress.cancelled()) return;
      auto d = pool.take();
      if (!d) {
        out[i].error = d.status().message();
        return;
      }
      out[i] = annotate_one(store, entries[start + i], *d.value());
      pool.give(std::move(d).value());
      progress.advance(1);
    });
    std::vector<core::AnnotationUpdate> updates;
    for (std::size_t i = 0; i < n; ++i) {
      auto& o = out[i];
      if (!o.ok) {
        if (!o.error.empty()) report["errors"].push_back({{"file", entries[start + i].path}, {"reason", o.error}});
        continue;
      }
      // A mask made by a person or an import (ground truth) stays the current one: the
      // auto-annotator only replaces its own (or fills in a missing one).
      if (o.update.mask) {
        const auto who_made = store.current_mask_annotator(o.update.image);
        if (who_made && who_made->rfind("auto:", 0) != 0) {
          o.update.mask.reset();
          report["masks_kept"] = report["masks_kept"].get<int>() + 1;
        }
      }
      report["faces"] = report["faces"].get<std::size_t>() + o.faces;
      if (o.faces == 0) report["no_face"] = report["no_face"].get<int>() + 1;
      else report["annotated"] = report["annotated"].get<int>() + 1;
      if (o.faces > 0) updates.push_back(std::move(o.update));
    }
    const std::string what = "auto-annotate images " + std::to_string(start + 1) + "-" +
                             std::to_string(start + n) + " of " + std::to_string(entries.size());
    if (Status s = store.write_annotations(updates, who, what); !s) return s;
  }
  return report;
}

}  // namespace kohl::faces
