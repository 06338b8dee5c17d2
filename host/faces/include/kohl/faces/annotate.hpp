// Auto-annotation: a core service (not a plugin kind, yet: there is one annotator and the
// host owns the data it writes) that runs detection, landmarks, regions and skin tone over
// a project's images in parallel and stores the results as annotations by
// kAutoAnnotatorId@version, unreviewed, for people to review.
//
// Writing: the calling thread is the project's only writer. Images are processed in
// chunks; each chunk is one transaction and one undo step, so a kill or Ctrl-C keeps the
// chunks already written and `--skip-done` carries on where it stopped.
#pragma once

#include <string>

#include "kohl/core/data_store.hpp"
#include "kohl/faces/detector.hpp"
#include "kohl/sdk/progress.hpp"

namespace kohl::faces {

constexpr const char* kAutoAnnotatorId = "org.kohl.faces";  // persisted in annotator strings

// "auto:org.kohl.faces@<kohl version>"
std::string auto_annotator();

// The auto-annotator as `kohl plugins list/describe` show it (a service built into kohl,
// not a loaded library): {id, kind "annotator", name, version, summary, license_notes,
// built_in: true, landmark_model, detectors}.
sdk::Json annotator_description();

struct AnnotateOptions {
  std::string dataset;        // "" = every image of the project
  int threads = 2;
  bool skip_done = false;     // leave images this annotator (any version) already annotated
  int chunk = 32;             // images per transaction / undo step
  DetectorOptions detector;
};

// A current mask made by a person or an import is kept (counted in "masks_kept"): the
// auto-annotator replaces only its own masks.
// Returns {"images", "annotated", "no_face", "skipped", "faces", "masks_kept", "annotator",
// "landmark_model", "license", "errors": [{"file", "reason"}]}. Per-image problems (an
// unreadable file) are reported and the run goes on; a failed write stops it.
sdk::Result<sdk::Json> auto_annotate(core::DataStore& store, const AnnotateOptions& options, sdk::IProgress& progress);

}  // namespace kohl::faces
