// kohl export | bundle verify: a run's checkpoint written as TorchScript, ONNX or a deploy
// bundle (the work is in libkohl_train.so, loaded on first use through
// kohl/core/train_api.hpp), and the check a bundle's consumer runs. docs/export.md.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kohl/core/bundle.hpp"
#include "kohl/core/train_api.hpp"
#include "progress_bar.hpp"

namespace kohl::cli {

using sdk::Json;

void add_export_commands(CLI::App& app, Context& ctx) {
  {
    struct Args {
      core::ExportRequest r;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = app.add_subcommand("export", "Export a run's checkpoint as TorchScript, ONNX or a deploy bundle");
    c->add_option("project", a->r.project, "The project file (*.kohl)")->required();
    c->add_option("run", a->r.run, "The run (kohl runs ls)")->required();
    c->add_option("--format", a->r.format,
                  "torchscript (model.pt) | onnx (opset 13) | bundle (a folder: both models, preprocessing, labels or "
                  "palette, model card, manifest)")
        ->required()
        ->check(CLI::IsMember({"torchscript", "onnx", "bundle"}));
    c->add_option("--out", a->r.out, "The file to write (torchscript, onnx) or a new or empty folder (bundle)")
        ->required();
    c->add_option("--epoch", a->r.epoch, "Checkpoint epoch (default: the last)");
    c->add_option("--threads", a->r.threads, "LibTorch threads")->capture_default_str()->check(CLI::Range(1, 256));
    c->add_flag("--json", a->json, "Print {run, epoch, format, out, files, checks} as JSON");
    c->footer("The checkpoint is verified against the hash the project recorded before it is loaded; a bundle is "
              "checked against its manifest after it is written (kohl bundle verify does the same later).\n"
              "Example: kohl export skin.kohl run-1 --format bundle --out skin-run-1/");
    c->callback([a, &ctx] {
      ctx.action = [a] {
        ProgressBar bar;
        auto r = core::export_run(a->r, bar);
        bar.finish();
        if (!r) return fail(r.status().message());
        const Json& j = r.value();
        if (a->json) {
          std::cout << j.dump(2) << "\n";
          return 0;
        }
        std::cout << j["out"].get<std::string>() << "\n";
        std::cerr << j["run"].get<std::string>() << " (epoch " << j["epoch"] << ") exported as "
                  << j["format"].get<std::string>();
        if (j["checks"].contains("torchscript_max_abs_diff"))
          std::cerr << "; TorchScript reloaded, max |difference| " << j["checks"]["torchscript_max_abs_diff"].get<double>();
        if (j["checks"].value("manifest_verified", false)) std::cerr << "; manifest verified";
        std::cerr << "\n";
        return 0;
      };
    });
  }
  {
    auto* bundle = app.add_subcommand("bundle", "Check deploy bundles (kohl export --format bundle)");
    bundle->require_subcommand(1);
    struct Args {
      std::string dir;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* v = bundle->add_subcommand("verify", "Check a bundle's files against its manifest (sizes and XXH3-128 hashes)");
    v->add_option("bundle", a->dir, "The bundle folder")->required();
    v->add_flag("--json", a->json, "Print the manifest as JSON when the bundle is intact");
    v->callback([a, &ctx] {
      ctx.action = [a] {
        auto m = core::verify_bundle(a->dir);
        if (!m) return fail(m.status().message());
        if (a->json) {
          std::cout << m.value().dump(2) << "\n";
          return 0;
        }
        std::cout << a->dir << ": intact (" << m.value()["files"].size() << " files, " << m.value()["run"].get<std::string>()
                  << ", Kohl " << m.value()["kohl_version"].get<std::string>() << ")\n";
        return 0;
      };
    });
  }
}

}  // namespace kohl::cli
