// Export (libkohl_train.so): a run's checkpoint written as TorchScript, ONNX or a deploy
// bundle. The run's backbone is built from its recorded config, the checkpoint verified
// against the project's hash and loaded, and the backbone's NetGraph handed to the exporter
// plugins (org.kohl.export.torchscript, org.kohl.export.onnx). A bundle is assembled in a
// sibling folder, checked with core::verify_bundle and then renamed into place, so it is
// whole or absent. Entry point at the bottom (extern "C"), called by kohl/core/train_api.cpp.
// Layout and fields: docs/export.md.
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <torch/script.h>
#include <torch/torch.h>

#include "kohl/core/bundle.hpp"
#include "kohl/core/data_store.hpp"
#include "kohl/core/memory.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/core/runs.hpp"
#include "kohl/core/train_api.hpp"
#include "kohl/core/version.hpp"
#include "kohl/faces/annotate.hpp"
#include "kohl/sdk/exporter.hpp"
#include "model_io.hpp"

namespace kohl::train {

namespace fs = std::filesystem;
using sdk::Json;
using sdk::Result;
using sdk::Status;

namespace {

constexpr const char* kTorchScriptExporter = "org.kohl.export.torchscript";
constexpr const char* kOnnxExporter = "org.kohl.export.onnx";

// Progress for an exporter plugin: forwards cancellation and messages, keeps our phases.
class Forward final : public sdk::IProgress {
 public:
  Forward(sdk::IProgress& outer, bool messages) : outer_(outer), messages_(messages) {}
  void phase(std::string_view, std::int64_t) override {}
  void advance(std::int64_t) override {}
  void message(std::string_view text) override {
    if (messages_) outer_.message(text);
  }
  bool cancelled() const override { return outer_.cancelled(); }

 private:
  sdk::IProgress& outer_;
  bool messages_;  // false while a bundle is assembled in its temporary folder
};

Status write_json(const fs::path& path, const Json& j) {
  std::ofstream out(path, std::ios::trunc);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) return Status::io_error(path.string() + ": cannot write");
  return Status::ok();
}

Status write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::io_error(path.string() + ": cannot write");
  return Status::ok();
}

std::string fixed(const Json& v, int digits = 3) {
  if (v.is_object() && v.contains("value")) return fixed(v["value"], digits);
  if (!v.is_number()) return "-";
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v.get<double>();
  return os.str();
}

// Everything export needs about the run, loaded and checked.
struct Job {
  core::RunInfo run;
  core::CheckpointInfo checkpoint;
  std::string checkpoint_path;
  BuiltModel model;
  sdk::NetGraph graph;
  bool regress = false;
  std::vector<std::string> classes;  // classify: classes; recommend: regions
  int size = 0;
  Json preprocessing;
  Json metadata;  // what both model files carry inside them
};

Json preprocessing_of(const Job& j) {
  const Json rec = j.run.config.value("preprocessing", Json::object());
  Json resize = rec.value("resize", Json::array({j.size, j.size}));
  // size/resize/channels/scale/mean/std: the keys of sdk::Preprocessing's JSON, which a
  // server reads; the rest describes the tensors for other runtimes.
  Json p = {
      {"size", resize.is_array() && !resize.empty() ? resize[0] : Json(j.size)},
      {"resize", "area"},
      {"resize_note", "the whole image is resized to size x size (OpenCV INTER_AREA): no crop, aspect ratio not kept"},
      {"channels", rec.value("color", std::string("RGB"))},
      {"scale", "1/255"},
      {"mean", rec.value("mean", Json::array())},
      {"std", rec.value("std", Json::array())},
      {"formula", "input[c][y][x] = (pixel[y][x][c] / 255 - mean[c]) / std[c], channels in RGB order"},
      {"input", {{"name", "input"}, {"layout", "NCHW"}, {"dtype", "float32"}, {"shape", {-1, 3, j.size, j.size}},
                 {"batch", "dynamic (first dimension)"}}},
      {"face_alignment", false},
      {"face_alignment_note",
       "the network was trained on whole images resized to " + std::to_string(j.size) + "x" + std::to_string(j.size) +
           " without face detection, cropping or alignment; prepare inputs the same way"}};
  if (j.regress)
    p["output"] = {{"name", "output"}, {"kind", "cielab"}, {"shape", {-1, 3 * static_cast<int>(j.classes.size())}},
                   {"decode", "value * 100 gives L*, a*, b* (D65) per region, in palette.json order"}};
  else
    p["output"] = {{"name", "output"}, {"kind", "logits"}, {"shape", {-1, static_cast<int>(j.classes.size())}},
                   {"decode", "softmax over axis 1 gives class probabilities, in labels.json order"}};
  return p;
}

Result<Job> load_job(const core::ExportRequest& req, core::Project& project, core::PluginHost& host) {
  core::RunStore runs(project);
  Job j;
  auto run = runs.run(req.run);
  if (!run) return Status::invalid("no run '" + req.run + "' in " + req.project + " (see `kohl runs ls`)");
  j.run = *run;
  auto cps = runs.checkpoints(run->name);
  if (cps.empty()) return Status::invalid(run->name + " has no checkpoint yet (train at least one epoch)");
  const core::CheckpointInfo* cp = &cps.back();
  if (req.epoch >= 0) {
    cp = nullptr;
    for (const auto& c : cps)
      if (c.epoch == req.epoch) cp = &c;
    if (!cp) return Status::invalid(run->name + " has no checkpoint of epoch " + std::to_string(req.epoch));
  }
  j.checkpoint = *cp;
  auto path = runs.verify_checkpoint(*cp);
  if (!path) return path.status();
  j.checkpoint_path = path.value();

  const Json& c = run->config;
  j.regress = run->task == "recommend";
  if (run->task != "classify" && !j.regress)
    return Status::unsupported(run->name + ": task '" + run->task +
                               "' cannot be exported yet (this Kohl exports classify and recommend runs)");
  j.classes = c.value("classes", std::vector<std::string>{});
  if (j.classes.empty()) return Status::invalid(run->name + ": the run's config records no classes or regions");
  j.size = c.value("image_size", 128);
  const std::string backbone = c.value("backbone", std::string());
  const int outputs = static_cast<int>(j.regress ? 3 * j.classes.size() : j.classes.size());
  auto model = make_model(host, backbone, c.value("backbone_params", Json::object()), outputs, j.size,
                          c.value("seed", std::uint64_t{0}), j.regress);
  if (!model) return model.status();
  j.model = model.value();
  if (Status s = load_model_weights(j.model.backbone->module(), j.checkpoint_path); !s) return s;
  j.model.backbone->module().eval();
  auto graph = j.model.backbone->graph();
  if (!graph)
    return Status::unsupported(backbone + " cannot be exported: it does not describe its network as a graph (" +
                               graph.status().message() + ")");
  j.graph = graph.value();
  j.preprocessing = preprocessing_of(j);
  const std::string stem = fs::path(req.project).stem().string();
  j.metadata = {{"name", stem + "/" + run->name},
                {"run", run->name},
                {"epoch", cp->epoch},
                {"task", run->task},
                {j.regress ? "regions" : "classes", j.classes},
                {"label_set", c.value("label_set", std::string())},
                {"backbone", backbone},
                {"backbone_version", c.value("backbone_version", j.model.version)},
                {"preprocessing", j.preprocessing},
                {"kohl_version", core::kKohlVersion},
                {"libtorch", TORCH_VERSION}};
  return j;
}

Status export_with(core::PluginHost& host, const char* id, Job& j, const std::string& out, sdk::IProgress& progress,
                   bool messages) {
  auto exporter = host.create<sdk::IExporter>(id);
  if (!exporter) return Status::error("exporter " + std::string(id) + ": " + exporter.status().message());
  sdk::ExportRequest r;
  r.out_path = out;
  r.metadata = j.metadata;
  Forward fwd(progress, messages);
  torch::NoGradGuard no_grad;
  return exporter.value()->export_model(*j.model.backbone, j.graph, r, fwd);
}

// Loads the written TorchScript file back with torch::jit::load and compares it with the
// backbone on a seeded random batch: the export's own self-check.
Result<double> torchscript_check(Job& j, const std::string& path) {
  try {
    torch::NoGradGuard no_grad;
    torch::manual_seed(12345);
    auto x = torch::randn({2, 3, j.size, j.size});
    auto expected = j.model.backbone->forward(x);
    if (!expected.defined()) return Status::error("the backbone's forward() failed (its message is in the log)");
    auto loaded = torch::jit::load(path);
    loaded.eval();
    auto got = loaded.forward({x}).toTensor();
    if (got.sizes() != expected.sizes()) return Status::error(path + ": the loaded module gives another output shape");
    return (got - expected).abs().max().item<double>();
  } catch (const std::exception& e) {
    return Status::error(path + ": the written TorchScript module does not load or run: " + e.what());
  }
}

// ---- model card -----------------------------------------------------------------------------

Json model_card(const Job& j, core::Project& project, const core::PluginHost& host) {
  core::RunStore runs(project);
  core::DataStore store(project);
  const Json& c = j.run.config;
  Json snapshot = {{"name", j.run.snapshot}};
  for (const auto& s : store.snapshots())
    if (s.name == j.run.snapshot) snapshot = {{"name", s.name}, {"created", s.created}, {"digest", s.digest}, {"images", s.images}};
  // Sources (and their licences) of the snapshot's images; how many carry auto-annotations
  // made with dlib's landmark model.
  std::map<std::string, std::int64_t> per_source;
  std::int64_t auto_annotated = 0, total = 0;
  const std::string auto_prefix = std::string("auto:") + faces::kAutoAnnotatorId;
  if (auto entries = store.snapshot_entries(j.run.snapshot, "", false)) {
    for (const auto& e : entries.value()) {
      ++per_source[e.source.empty() ? e.dataset : e.source];
      ++total;
      if (store.has_annotations_by(e.id, auto_prefix)) ++auto_annotated;  // landmarks or boxes by the annotator
    }
  }
  const auto sources = store.sources();
  Json data_licences = Json::array();
  for (const auto& [name, n] : per_source) {
    Json s = {{"source", name}, {"images", n}};
    if (auto it = sources.find(name); it != sources.end()) {
      s["license"] = it->second.license.empty() ? "not recorded" : it->second.license;
      s["consent"] = it->second.consent.empty() ? "not recorded" : it->second.consent;
      s["synthetic"] = it->second.synthetic;
    } else {
      s["license"] = "not recorded";
      s["consent"] = "not recorded";
    }
    data_licences.push_back(s);
  }
  Json metrics = runs.metrics(j.run.name);
  Json last = Json::object();
  for (const auto& [split, names] : metrics.items())
    for (const auto& [name, series] : names.items())
      for (const auto& point : series)
        if (point[0].get<int>() == j.checkpoint.epoch) last[split][name] = point[1];
  Json evaluation = nullptr;
  const Json evals = runs.evaluations(j.run.name);
  if (!evals.empty()) evaluation = evals.back();
  const core::PluginRecord* rec = host.find(j.model.id);
  Json card = {
      {"task", j.run.task},
      {"model", {{"name", j.metadata["name"]}, {"task", j.run.task}, {"backbone", j.model.id},
                 {"backbone_version", j.metadata["backbone_version"]}, {"backbone_params", c.value("backbone_params", Json::object())},
                 {"input_size", j.size}, {"outputs", j.regress ? 3 * j.classes.size() : j.classes.size()},
                 {j.regress ? "regions" : "classes", j.classes}, {"label_set", c.value("label_set", std::string())}}},
      {"run", {{"name", j.run.name}, {"status", j.run.status}, {"created", j.run.created}, {"finished", j.run.finished},
               {"epoch", j.checkpoint.epoch}, {"checkpoint_xxh3_128", j.checkpoint.hash}, {"seed", c.value("seed", 0)},
               {"config", c}, {"environment", j.run.environment}}},
      {"data", {{"snapshot", snapshot}, {"counts", c.value("data", Json::object())}, {"sources", data_licences},
                {"synthetic_only", std::all_of(data_licences.begin(), data_licences.end(),
                                               [](const Json& s) { return s.value("synthetic", false); })}}},
      {"training_metrics", last},
      {"evaluation", evaluation},
      {"licences",
       {{"model_code", rec && rec->descriptor ? rec->descriptor->license_notes : std::string("not recorded")},
        {"data", data_licences},
        {"landmark_model",
         {{"text", faces::kLandmarkModelLicense},
          {"images_auto_annotated", auto_annotated},
          {"images_in_snapshot", total},
          {"applies",
           "the model itself does not run dlib's landmark model (face_alignment is false); " +
               std::to_string(auto_annotated) + " of " + std::to_string(total) +
               " snapshot images carry landmarks or boxes from Kohl's face auto-annotator (which runs it); a server that detects faces, measures "
               "skin tone or renders try-ons with Kohl's face pipeline runs it"}}}}},
      {"limitations",
       {"Metrics are from the run's own data split; check them on data from the population you serve.",
        "Per-skin-tone-band metrics are in evaluation.metrics.by_band; bands with few images have wide intervals."}}};
  return card;
}

std::string model_card_md(const Json& card) {
  std::ostringstream md;
  const Json& m = card["model"];
  const Json& r = card["run"];
  md << "# Model card: " << m["name"].get<std::string>() << "\n\n"
     << "Exported by Kohl " << core::kKohlVersion << ". Machine-readable: `model_card.json`.\n\n"
     << "## Model\n\n"
     << "- task: " << m["task"].get<std::string>() << "\n"
     << "- backbone: " << m["backbone"].get<std::string>() << " " << m["backbone_version"].get<std::string>()
     << ", parameters " << m["backbone_params"].dump() << "\n"
     << "- input: " << m["input_size"] << "x" << m["input_size"] << " RGB, whole image, no face alignment "
     << "(see `preprocessing.json`)\n";
  if (m.contains("classes"))
    md << "- classes (" << m["label_set"].get<std::string>() << "): " << m["classes"].dump() << "\n";
  else
    md << "- regions (CIELAB each): " << m["regions"].dump() << "\n";
  md << "\n## Run\n\n- " << r["name"].get<std::string>() << ", status " << r["status"].get<std::string>()
     << ", created " << r["created"].get<std::string>() << ", checkpoint of epoch " << r["epoch"]
     << " (xxh3-128 " << r["checkpoint_xxh3_128"].get<std::string>() << "), seed " << r["seed"] << "\n";
  const Json& d = card["data"];
  md << "\n## Data\n\n- snapshot `" << d["snapshot"]["name"].get<std::string>() << "`";
  if (d["snapshot"].contains("digest"))
    md << " (" << d["snapshot"]["images"] << " images, created " << d["snapshot"]["created"].get<std::string>()
       << ", digest " << d["snapshot"]["digest"].get<std::string>() << ")";
  md << "\n- used: " << d["counts"].dump() << "\n";
  if (d["synthetic_only"].get<bool>()) md << "- every image is synthetic (no person)\n";
  md << "\n## Metrics\n\nLast epoch of the checkpoint: " << card["training_metrics"].dump() << "\n\n";
  const Json& e = card["evaluation"];
  if (e.is_null()) {
    md << "No evaluation recorded for this run (run `kohl eval`, then export again).\n";
  } else {
    md << "Latest evaluation (#" << e["id"] << "): snapshot `" << e["snapshot"].get<std::string>() << "`, split `"
       << e["split"].get<std::string>() << "`, evaluator " << e["evaluator"].get<std::string>() << ", "
       << e["created"].get<std::string>() << ".\n\n| metric | value | 95% CI |\n|---|---|---|\n";
    const Json& em = e["metrics"];
    if (em.contains("metrics") && em["metrics"].is_object())
      for (const auto& [k, v] : em["metrics"].items()) {
        if (!v.is_object() && !v.is_number()) continue;
        md << "| " << k << " | " << fixed(v) << " | ";
        if (v.is_object() && v.contains("ci95") && v["ci95"].is_array())
          md << fixed(v["ci95"][0]) << " - " << fixed(v["ci95"][1]);
        md << " |\n";
      }
    if (em.contains("by_band") && em["by_band"].is_object()) {
      md << "\nPer skin-tone band:\n\n| band | n | metrics |\n|---|---|---|\n";
      for (const auto& [band, b] : em["by_band"].items()) {
        md << "| " << band << " | " << b.value("n", 0) << " | ";
        // The headline metrics (all of them are in model_card.json).
        if (b.contains("metrics") && b["metrics"].is_object())
          for (const char* k : {"accuracy", "balanced_accuracy", "f1_macro", "mean_de", "median_de"})
            if (b["metrics"].contains(k)) md << k << " " << fixed(b["metrics"][k]) << "; ";
        md << "|\n";
      }
    }
  }
  md << "\n## Licences\n\n- model code and architecture: " << card["licences"]["model_code"].get<std::string>() << "\n";
  for (const auto& s : card["licences"]["data"])
    md << "- data source `" << s["source"].get<std::string>() << "` (" << s["images"] << " images): licence "
       << s["license"].get<std::string>() << "; consent " << s["consent"].get<std::string>() << "\n";
  const Json& lm = card["licences"]["landmark_model"];
  md << "- landmark model: " << lm["text"].get<std::string>() << " Here: " << lm["applies"].get<std::string>() << ".\n";
  md << "\n## Limitations\n\n";
  for (const auto& l : card["limitations"]) md << "- " << l.get<std::string>() << "\n";
  return md.str();
}

// ---- the job ----------------------------------------------------------------------------------

Result<Json> run_export(const core::ExportRequest& req, sdk::IProgress& progress) {
  if (req.format != "torchscript" && req.format != "onnx" && req.format != "bundle")
    return Status::invalid("--format " + req.format + ": expected torchscript, onnx or bundle");
  if (req.out.empty()) return Status::invalid("--out is required");
  fs::path out = fs::absolute(req.out).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();  // "bundle/" names the folder "bundle"
  std::error_code ec;
  if (req.format == "bundle") {
    if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
      return Status::invalid(out.string() + " exists and is not an empty folder; a bundle goes into a new folder");
  } else if (fs::is_directory(out, ec)) {
    return Status::invalid(out.string() + " is a folder; --format " + req.format + " writes one file");
  }
  if (!out.parent_path().empty() && !fs::is_directory(out.parent_path(), ec))
    return Status::io_error(out.parent_path().string() + ": no such folder");

  auto project = core::Project::open(req.project, core::Project::Mode::kReadOnly);
  if (!project) return project.status();
  core::PluginHost host;
  host.load_dirs(core::PluginHost::default_search_dirs());
  torch::set_num_threads(std::max(1, req.threads));
  progress.phase("export " + req.run, -1);
  auto job = load_job(req, *project.value(), host);
  if (!job) return job.status();
  Job& j = job.value();
  Json result = {{"run", j.run.name}, {"epoch", j.checkpoint.epoch}, {"format", req.format}, {"out", out.string()}};
  Json checks = Json::object();

  if (req.format == "torchscript" || req.format == "onnx") {
    const bool ts = req.format == "torchscript";
    if (Status s = export_with(host, ts ? kTorchScriptExporter : kOnnxExporter, j, out.string(), progress, true); !s) return s;
    if (ts) {
      auto diff = torchscript_check(j, out.string());
      if (!diff) {
        fs::remove(out, ec);  // a file that does not load back is not left behind
        return diff.status();
      }
      checks["torchscript_max_abs_diff"] = diff.value();
    }
    result["files"] = Json::array({{{"path", out.string()}, {"bytes", fs::file_size(out, ec)}}});
    result["checks"] = checks;
    return result;
  }

  // Bundle: assembled beside, verified, renamed into place.
  const fs::path tmp = out.string() + ".partial-" + std::to_string(std::random_device{}());
  fs::create_directories(tmp, ec);
  if (ec) return Status::io_error(tmp.string() + ": cannot create: " + ec.message());
  // Removes the partial folder on every way out but success (errors and exceptions alike).
  struct PartialFolder {
    fs::path path;
    bool keep = false;
    ~PartialFolder() {
      std::error_code e2;
      if (!keep) fs::remove_all(path, e2);
    }
  } partial{tmp};
  if (Status s = export_with(host, kTorchScriptExporter, j, (tmp / "model.pt").string(), progress, false); !s) return s;
  if (Status s = export_with(host, kOnnxExporter, j, (tmp / "model.onnx").string(), progress, false); !s) return s;
  auto diff = torchscript_check(j, (tmp / "model.pt").string());
  if (!diff) return diff.status();
  checks["torchscript_max_abs_diff"] = diff.value();
  if (Status s = write_json(tmp / "preprocessing.json", j.preprocessing); !s) return s;
  if (j.regress) {
    Json outputs = Json::array();
    for (std::size_t r = 0; r < j.classes.size(); ++r)
      for (const char* ch : {"L", "a", "b"})
        outputs.push_back({{"index", outputs.size()}, {"region", j.classes[r]}, {"channel", ch}});
    if (Status s = write_json(tmp / "palette.json", {{"regions", j.classes}, {"space", "CIELAB (D65)"}, {"scale", 100},
                                                     {"outputs", outputs}});
        !s)
      return s;
  } else {
    if (Status s = write_json(tmp / "labels.json",
                              {{"label_set", j.run.config.value("label_set", std::string())}, {"classes", j.classes}});
        !s)
      return s;
  }
  const Json card = model_card(j, *project.value(), host);
  if (Status s = write_json(tmp / "model_card.json", card); !s) return s;
  if (Status s = write_text(tmp / "model_card.md", model_card_md(card)); !s) return s;
  const Json header = {{"name", j.metadata["name"]},
                       {"run", j.run.name},
                       {"epoch", j.checkpoint.epoch},
                       {"task", j.run.task},
                       {"created", [] {
                          std::time_t t = std::time(nullptr);
                          char buf[32];
                          std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
                          return std::string(buf);
                        }()},
                       {"kohl_version", core::kKohlVersion},
                       {"libtorch", TORCH_VERSION},
                       {"models", {{"torchscript", "model.pt"}, {"onnx", "model.onnx"}}},
                       {"exporters", {{"torchscript", kTorchScriptExporter}, {"onnx", kOnnxExporter}}},
                       {"onnx_opset", 13}};
  auto manifest = core::write_bundle_manifest(tmp.string(), header);
  if (!manifest) return manifest.status();
  if (auto v = core::verify_bundle(tmp.string()); !v) return v.status();
  if (fs::exists(out, ec)) fs::remove(out, ec);  // an empty folder (checked above)
  fs::rename(tmp, out, ec);
  if (ec) return Status::io_error(out.string() + ": cannot move the bundle in place: " + ec.message());
  partial.keep = true;
  if (auto v = core::verify_bundle(out.string()); !v) return v.status();
  checks["manifest_verified"] = true;
  result["files"] = manifest.value()["files"];
  result["checks"] = checks;
  return result;
}

}  // namespace

}  // namespace kohl::train

// Entry point for kohl/core/train_api.cpp (dlsym by name). Exceptions never cross it.
extern "C" __attribute__((visibility("default"))) void kohl_train_export(const kohl::core::ExportRequest* request,
                                                                         kohl::sdk::IProgress* progress,
                                                                         kohl::sdk::Result<kohl::sdk::Json>* out) {
  try {
    *out = kohl::train::run_export(*request, *progress);
  } catch (const std::exception& e) {
    *out = kohl::sdk::Status::error(std::string("export failed: ") + e.what());
  }
}
