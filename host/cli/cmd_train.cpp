// kohl train | eval | runs ls | runs show: training and evaluation jobs (the engine is
// libkohl_train.so, loaded on first use through kohl/core/train_api.hpp).
#include <iomanip>
#include <sstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kohl/core/runs.hpp"
#include "kohl/core/train_api.hpp"
#include "progress_bar.hpp"

namespace kohl::cli {

using sdk::Json;

namespace {

// "key=value" -> params[key] = value as JSON when it parses (numbers, true/false), else text.
bool parse_set(const std::vector<std::string>& sets, Json& params, std::string& error) {
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "--set " + s + ": expected key=value";
      return false;
    }
    const std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    Json v = Json::parse(value, nullptr, false);
    params[key] = v.is_discarded() || v.is_object() || v.is_array() ? Json(value) : v;
  }
  return true;
}

// The label set(s) a run learns, for listings: classify's set, attributes' sets joined by ','.
std::string label_set_of(const core::RunInfo& r) {
  if (r.task != "attributes") return r.config.value("label_set", "");
  std::string out;
  for (const auto& s : r.config.value("label_sets", std::vector<std::string>{})) out += (out.empty() ? "" : ",") + s;
  return out;
}

// The last validation figures of a run, in the table of `runs ls`: accuracy for a
// classifier, each head's for a multi-attribute run, mean CIEDE2000 for a recommender.
std::string val_summary(const Json& val) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(3);
  if (val.contains("accuracy")) out << "val acc " << val["accuracy"].get<double>();
  for (const auto& [name, v] : val.items())
    if (name.rfind("acc_", 0) == 0) out << (out.tellp() > 0 ? ", " : "") << "val " << name << " " << v.get<double>();
  if (val.contains("mean_de")) out << (out.tellp() > 0 ? ", " : "") << "val mean CIEDE2000 " << std::setprecision(2) << val["mean_de"].get<double>();
  if (out.tellp() == 0 && val.contains("loss")) out << "val loss " << val["loss"].get<double>();
  return out.str();
}

int with_runs(const std::string& path, const std::function<int(core::RunStore&)>& fn) {
  auto p = core::Project::open(path, core::Project::Mode::kReadOnly);
  if (!p) return fail(p.status().message());
  core::RunStore runs(*p.value());
  return fn(runs);
}

}  // namespace

void add_train_commands(CLI::App& app, Context& ctx) {
  // ---- train -------------------------------------------------------------------------------
  {
    struct Args {
      core::TrainRequest r;
      std::vector<std::string> sets;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = app.add_subcommand("train", "Train a backbone plugin on a dataset snapshot; prints the run's name");
    c->add_option("project", a->r.project, "The project file (*.kohl)")->required();
    c->add_option("--snapshot", a->r.snapshot, "The snapshot to train on (kohl data snapshot)");
    c->add_option("--backbone", a->r.backbone, "Backbone plugin id (kohl plugins list), e.g. org.kohl.backbone.small_cnn");
    c->add_option("--task", a->r.task,
                  "classify (one label set) | attributes (several label sets, one head each, one backbone) | "
                  "recommend (from a bare face, the palette of its made-up twin, in CIELAB)")
        ->capture_default_str()->check(CLI::IsMember({"classify", "attributes", "recommend"}));
    c->add_option("--label-set", a->r.label_set,
                  "classify: the label set to learn, e.g. monk (with --task attributes: one set, as --label-sets X)");
    c->add_option("--label-sets", a->r.label_sets,
                  "attributes: the label sets to learn, comma-separated, e.g. monk,undertone; an image missing a "
                  "label still trains the other heads")->delimiter(',');
    c->add_option("--regions", a->r.regions, "recommend: palette regions to predict (lip eyeshadow blush foundation "
                                             "eyeliner); default lip")->delimiter(',');
    c->add_option("--targets", a->r.targets,
                  "recommend: palette (the made-up twin's recorded palette_<region>_l/a/b attributes) | measured "
                  "(mean CIELAB of each region measured on the made-up image, from its landmarks or MT-14 mask; "
                  "not eyeliner)")
        ->capture_default_str()->check(CLI::IsMember({"palette", "measured"}));
    c->add_option("--epochs", a->r.epochs, "Epochs (default 10; with --resume: train the run up to this many)");
    c->add_option("--batch", a->r.batch, "Batch size")->capture_default_str()->check(CLI::Range(1, 65536));
    c->add_option("--size", a->r.image_size, "Input size: images are resized to SIZE x SIZE")->capture_default_str()
        ->check(CLI::Range(16, 4096));
    c->add_option("--set", a->sets, "Backbone parameter key=value (see `kohl plugins describe ID`); repeatable");
    c->add_option("--seed", a->r.seed, "Seed: the same seed and snapshot give the same metrics")->capture_default_str();
    c->add_option("--optimizer", a->r.optimizer, "sgd (with momentum) | adam | adamw")->capture_default_str()
        ->check(CLI::IsMember({"sgd", "adam", "adamw"}));
    c->add_option("--lr", a->r.lr, "Learning rate")->capture_default_str();
    c->add_option("--momentum", a->r.momentum, "SGD momentum")->capture_default_str();
    c->add_option("--weight-decay", a->r.weight_decay, "Weight decay")->capture_default_str();
    c->add_option("--schedule", a->r.schedule, "none | step (x0.1 every third) | cosine")->capture_default_str()
        ->check(CLI::IsMember({"none", "step", "cosine"}));
    c->add_option("--warmup", a->r.warmup_epochs, "Linear warm-up epochs")->capture_default_str();
    c->add_option("--clip-grad", a->r.clip_grad_norm, "Clip the gradient norm to this (0: off)")->capture_default_str();
    c->add_flag("--class-weights", a->r.class_weights, "Weight the loss by inverse class frequency");
    c->add_option("--patience", a->r.patience, "Stop after N epochs without a better validation loss (0: off)")
        ->capture_default_str();
    c->add_option("--augment", a->r.augmenters, "Augmenter plugin id, applied in order with default parameters; repeatable");
    c->add_option("--threads", a->r.threads, "Data-loading workers and LibTorch threads")->capture_default_str()
        ->check(CLI::Range(1, 256));
    c->add_option("--device", a->r.device, "cpu | cuda (with a CUDA LibTorch)")->capture_default_str()
        ->check(CLI::IsMember({"cpu", "cuda"}));
    c->add_option("--resume", a->r.resume, "Continue this run from its last checkpoint (after Ctrl-C or a kill)");
    c->add_flag("--json", a->json, "Print {run, status, epochs_done, best_epoch, metrics, checkpoint} as JSON");
    c->footer("Every epoch streams its metrics into the run and writes a checkpoint atomically (PROJECT.runs/RUN/). "
              "Ctrl-C stops at a batch boundary; `kohl train PROJECT --resume RUN` continues.\nExamples:\n  kohl train "
              "skin.kohl --snapshot v1 --backbone org.kohl.backbone.small_cnn --label-set monk --epochs 5 --size 64\n"
              "  kohl train skin.kohl --snapshot v1 --backbone org.kohl.backbone.small_cnn --task attributes "
              "--label-sets monk,undertone\n    (metrics per head: loss_<set>, acc_<set>; accuracy = their mean)\n"
              "  kohl train skin.kohl --snapshot v1 --backbone org.kohl.backbone.small_cnn --task recommend "
              "--regions foundation,lip --targets measured");
    c->callback([a, &ctx] {
      ctx.action = [a] {
        std::string error;
        if (!parse_set(a->sets, a->r.backbone_params, error)) {
          std::cerr << "kohl: error: train: " << error << "\n";
          return 2;
        }
        if (a->r.resume.empty() && (a->r.snapshot.empty() || a->r.backbone.empty())) {
          std::cerr << "kohl: error: train: --snapshot and --backbone are required (or --resume RUN) (run `kohl train "
                       "--help`)\n";
          return 2;
        }
        ProgressBar bar;
        auto r = core::train(a->r, bar);
        bar.finish();
        if (!r) return fail(r.status().message());
        const Json& j = r.value();
        if (a->json) {
          std::cout << j.dump(2) << "\n";
        } else {
          std::cout << j["run"].get<std::string>() << "\n";
          std::cerr << j["status"].get<std::string>() << " after " << j["epochs_done"] << " epochs";
          if (j["metrics"].contains("val") && !j["metrics"]["val"].empty()) {
            const Json& v = j["metrics"]["val"];
            std::cerr << std::fixed << std::setprecision(3);
            if (v.contains("accuracy")) std::cerr << "; val accuracy " << v["accuracy"].get<double>();
            if (v.contains("mean_de")) std::cerr << "; val mean CIEDE2000 " << v["mean_de"].get<double>();
            std::cerr << ", val loss " << v.value("loss", 0.0);
          }
          std::cerr << "\n";
        }
        return j["status"] == core::kRunStopped ? 130 : 0;
      };
    });
  }

  // ---- eval --------------------------------------------------------------------------------
  {
    struct Args {
      core::EvalRequest r;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = app.add_subcommand("eval", "Evaluate a run's checkpoint on a split with an evaluator plugin");
    c->add_option("project", a->r.project, "The project file (*.kohl)")->required();
    c->add_option("run", a->r.run, "The run (kohl runs ls)")->required();
    c->add_option("--snapshot", a->r.snapshot, "Snapshot to evaluate on (default: the run's)");
    c->add_option("--split", a->r.split, "train | val | test")->capture_default_str()
        ->check(CLI::IsMember({"train", "val", "test"}));
    c->add_option("--evaluator", a->r.evaluator,
                  "Evaluator plugin id (default org.kohl.eval.classify; recommend runs org.kohl.eval.recommend; "
                  "attributes runs use it once per head)");
    c->add_option("--epoch", a->r.epoch, "Checkpoint epoch (default: the last)");
    c->add_option("--predictions-out", a->r.predictions_csv,
                  "Write the per-sample predictions to this CSV: classify sample,true,pred,p_<class>...; attributes "
                  "sample, then per head true_<set>,pred_<set>,p_<set>_<class>... (true_<set> empty when the image "
                  "has no such label); recommend sample,<region>_true_L/a/b...,<region>_pred_L/a/b...");
    c->add_option("--threads", a->r.threads, "Threads")->capture_default_str()->check(CLI::Range(1, 256));
    c->add_flag("--json", a->json, "Print the metrics as JSON");
    c->callback([a, &ctx] {
      ctx.action = [a] {
        ProgressBar bar;
        auto r = core::evaluate(a->r, bar);
        bar.finish();
        if (!r) return fail(r.status().message());
        const Json& j = r.value();
        if (a->json) {
          std::cout << j.dump(2) << "\n";
          return 0;
        }
        std::cout << j["run"].get<std::string>() << " on " << j["snapshot"].get<std::string>() << "/"
                  << j["split"].get<std::string>() << " (checkpoint of epoch " << j["checkpoint_epoch"] << ")\n";
        auto number = [](const Json& v) {
          if (!v.is_number()) return std::string("-");
          std::ostringstream os;
          os << std::fixed << std::setprecision(3) << v.get<double>();
          return os.str();
        };
        auto metric = [&](const Json& v) {
          if (!v.is_object() || !v.contains("value")) return v.dump();
          std::string s = number(v["value"]);
          if (v.contains("ci95") && v["ci95"].is_array())
            s += "  [" + number(v["ci95"][0]) + ", " + number(v["ci95"][1]) + "]";
          return s;
        };
        if (j.contains("metrics") && j["metrics"].is_object()) {
          std::cout << "  metric                value  [95% CI]\n";
          for (const auto& [k, v] : j["metrics"].items())
            std::cout << "  " << std::left << std::setw(22) << k << metric(v) << "\n";
        }
        if (j.contains("heads") && j["heads"].is_object())
          for (const auto& [set, h] : j["heads"].items()) {
            if (!h.is_object()) {
              std::cout << "  head " << set << ": not evaluated ("
                        << (j.contains("unevaluated") ? j["unevaluated"].value(set, std::string()) : std::string()) << ")\n";
              continue;
            }
            std::cout << "  head " << set << " (n " << h.value("n", 0) << "):\n";
            for (const char* k : {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc_macro", "ece"})
              if (h.contains("metrics") && h["metrics"].contains(k))
                std::cout << "    " << std::left << std::setw(20) << k << metric(h["metrics"][k]) << "\n";
            if (h.contains("by_band") && h["by_band"].is_object())
              for (const auto& [band, b] : h["by_band"].items())
                if (b.contains("metrics") && b["metrics"].contains("accuracy"))
                  std::cout << "    " << std::left << std::setw(12) << band << " n " << std::setw(5) << b.value("n", 0)
                            << " accuracy " << metric(b["metrics"]["accuracy"]) << "\n";
          }
        if (j.contains("by_band") && j["by_band"].is_object()) {
          std::cout << "  by skin-tone band:\n";
          for (const auto& [band, b] : j["by_band"].items()) {
            std::cout << "    " << std::left << std::setw(12) << band << " n " << std::setw(5) << b.value("n", 0);
            for (const char* k : {"accuracy", "f1_macro", "mean_de"})
              if (b.contains("metrics") && b["metrics"].contains(k)) std::cout << " " << k << " " << metric(b["metrics"][k]);
            std::cout << "\n";
          }
        }
        if (j.contains("band_gap") && j["band_gap"].is_object())
          for (const auto& [k, g] : j["band_gap"].items())
            if (g.is_object())
              std::cout << "  gap in " << k << ": " << number(g["gap"]) << " between " << g.value("best", "")
                        << " (best) and " << g.value("worst", "") << " (worst)\n";
        return 0;
      };
    });
  }

  // ---- runs ls / show ----------------------------------------------------------------------
  {
    auto* runs = app.add_subcommand("runs", "List and show training runs");
    runs->require_subcommand(1);
    struct Args {
      std::string project, run;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* ls = runs->add_subcommand("ls", "List the project's runs");
    ls->add_option("project", a->project, "The project file (*.kohl)")->required();
    ls->add_flag("--json", a->json, "Print [{name, status, task, snapshot, backbone, created, finished, epochs, last}]");
    ls->callback([a, &ctx] {
      ctx.action = [a] {
        return with_runs(a->project, [&](core::RunStore& store) {
          Json out = Json::array();
          std::vector<std::string> targets;  // the table's column: label set(s), or a recommender's regions
          for (const auto& r : store.runs()) {
            std::string target = label_set_of(r);
            if (r.task == "recommend")
              for (const auto& g : r.config.value("regions", std::vector<std::string>{}))
                target += (target.empty() ? "" : ",") + g;
            targets.push_back(target);
            const auto cps = store.checkpoints(r.name);
            const Json m = store.metrics(r.name);
            Json last = Json::object();
            for (const auto& [split, names] : m.items())
              for (const auto& [name, series] : names.items()) last[split][name] = series.back()[1];
            out.push_back({{"name", r.name},
                           {"status", r.status},
                           {"task", r.task},
                           {"snapshot", r.snapshot},
                           {"backbone", r.config.value("backbone", "")},
                           {"label_set", label_set_of(r)},
                           {"created", r.created},
                           {"finished", r.finished},
                           {"epochs", cps.empty() ? 0 : cps.back().epoch},
                           {"last", last}});
          }
          if (a->json) {
            std::cout << out.dump(2) << "\n";
            return 0;
          }
          if (out.empty()) std::cout << "no runs yet (kohl train --help)\n";
          for (std::size_t i = 0; i < out.size(); ++i) {
            const Json& r = out[i];
            const std::string& target = targets[i];
            std::cout << std::left << std::setw(10) << r["name"].get<std::string>() << std::setw(9)
                      << r["status"].get<std::string>() << std::setw(34) << r["backbone"].get<std::string>()
                      << std::setw(16) << target << " epochs " << r["epochs"];
            if (r["last"].contains("val")) std::cout << "  " << val_summary(r["last"]["val"]);
            std::cout << "\n";
          }
          return 0;
        });
      };
    });
    auto b = std::make_shared<Args>();
    auto* show = runs->add_subcommand("show", "Show one run: configuration, environment, metrics per epoch, checkpoints");
    show->add_option("project", b->project, "The project file (*.kohl)")->required();
    show->add_option("run", b->run, "The run, e.g. run-1")->required();
    show->add_flag("--json", b->json, "Print everything as JSON");
    show->callback([b, &ctx] {
      ctx.action = [b] {
        return with_runs(b->project, [&](core::RunStore& store) {
          auto r = store.run(b->run);
          if (!r) return fail("no run '" + b->run + "' in " + b->project + " (see `kohl runs ls`)");
          const Json j = store.run_json(*r);
          if (b->json) {
            std::cout << j.dump(2) << "\n";
            return 0;
          }
          std::cout << r->name << ": " << r->status << (r->message.empty() ? "" : " (" + r->message + ")") << "\n"
                    << "  task " << r->task << " on snapshot " << r->snapshot << ", backbone "
                    << r->config.value("backbone", "") << " " << r->config.value("backbone_version", "")
                    << ", label set " << label_set_of(*r) << "\n"
                    << "  config " << r->config.dump() << "\n"
                    << "  environment " << r->environment.dump() << "\n";
          const Json& m = j["metrics"];
          if (m.contains("train")) {
            std::cout << "  epoch  train_loss  train_acc  val_loss  val_acc\n";
            const auto& tl = m["train"]["loss"];
            for (std::size_t i = 0; i < tl.size(); ++i) {
              const int e = tl[i][0];
              auto at = [&](const char* split, const char* name) -> std::string {
                if (!m.contains(split) || !m[split].contains(name)) return "-";
                for (const auto& p : m[split][name])
                  if (p[0] == e) {
                    std::ostringstream os;
                    os << std::fixed << std::setprecision(4) << p[1].get<double>();
                    return os.str();
                  }
                return "-";
              };
              std::cout << "  " << std::setw(5) << e << "  " << std::setw(10) << at("train", "loss") << "  "
                        << std::setw(9) << at("train", "accuracy") << "  " << std::setw(8) << at("val", "loss") << "  "
                        << at("val", "accuracy") << "\n";
            }
          }
          std::cout << "  checkpoints: " << j["checkpoints"].size() << ", evaluations: " << j["evaluations"].size()
                    << "\n";
          return 0;
        });
      };
    });
  }
}

}  // namespace kohl::cli
