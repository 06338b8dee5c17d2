// kohl report | compare: the evaluation report of one run and the comparison of several,
// written as self-contained pages by kohl_report (the same renderer the GUI shows).
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "kohl/report/report.hpp"

namespace kohl::cli {

using sdk::Json;

void add_report_commands(CLI::App& app, Context& ctx) {
  // ---- report ------------------------------------------------------------------------------
  {
    struct Args {
      std::string project, run, out;
      std::int64_t evaluation = -1;
      int worst = 12;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = app.add_subcommand("report", "Write a run's evaluation report: DIR/index.html, metrics.json, metrics.csv");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("run", a->run, "The run (kohl runs ls), evaluated with `kohl eval` first")->required();
    c->add_option("--out", a->out, "Folder to write index.html, metrics.json and metrics.csv into (created)")->required();
    c->add_option("--evaluation", a->evaluation, "Evaluation id (kohl runs show PROJECT RUN); default: the run's latest");
    c->add_option("--worst", a->worst, "How many worst errors to show with their images")->capture_default_str()
        ->check(CLI::Range(0, 1000));
    c->add_flag("--json", a->json, "Print metrics.json on stdout as well");
    c->footer(
        "The page is self-contained (inline SVG charts, thumbnails embedded; no scripts, no network): what was run "
        "(plugins, versions, parameters, snapshot, seed, machine, duration), learning curves, every metric with its "
        "95% bootstrap interval, the per-skin-tone-band table with the best-worst gap, confusion matrix, per-class "
        "bars, ROC curves and calibration (classification), CIEDE2000 distributions per region and colour swatches "
        "(recommendation), and a grid of the worst errors with their images. See docs/reports.md.\n"
        "Example: kohl report skin.kohl run-3 --out report-run-3");
    c->callback([a, &ctx] {
      ctx.action = [a] {
        auto p = core::Project::open(a->project, core::Project::Mode::kReadOnly);
        if (!p) return fail(p.status().message());
        std::optional<std::int64_t> ev;
        if (a->evaluation >= 0) ev = a->evaluation;
        auto run = report::load_run(*p.value(), a->run, ev);
        if (!run) return fail("report: " + run.status().message());
        report::RunReportOptions opt;
        opt.worst_errors = a->worst;
        const auto page = report::render_run(run.value(), report::project_images(*p.value()), opt);
        if (auto s = report::write_files(a->out, {{"index.html", page.html},
                                                  {"metrics.json", page.json.dump(2) + "\n"},
                                                  {"metrics.csv", page.csv}});
            !s)
          return fail("report: " + s.message());
        if (a->json) std::cout << page.json.dump(2) << "\n";
        else std::cout << a->out << "/index.html\n";
        return 0;
      };
    });
  }

  // ---- compare -----------------------------------------------------------------------------
  {
    struct Args {
      std::string project, out;
      std::vector<std::string> runs;
      bool allow = false, json = false;
      std::int64_t resamples = 2000;
      std::uint64_t seed = 1;
    };
    auto a = std::make_shared<Args>();
    auto* c = app.add_subcommand("compare", "Compare runs on the same test samples: DIR/index.html and compare.json");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("runs", a->runs, "Two or more runs; the first is the reference for deltas")->required()->expected(2, -1);
    c->add_option("--out", a->out, "Folder to write index.html and compare.json into (created)")->required();
    c->add_flag("--allow-different-data", a->allow,
                "Compare runs evaluated on different snapshots, splits or samples anyway; the page says so at the top");
    c->add_option("--resamples", a->resamples, "Paired bootstrap resamples")->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    c->add_option("--seed", a->seed, "Paired bootstrap seed (the same seed gives the same intervals)")->capture_default_str();
    c->add_flag("--json", a->json, "Print compare.json on stdout as well");
    c->footer(
        "Each run's latest evaluation is used. Runs must have been evaluated on the same snapshot, split and test "
        "samples (matched by image id, same true labels); otherwise compare refuses unless --allow-different-data. "
        "The page shows the metrics side by side with deltas against the first run and their significance: a paired "
        "bootstrap over the shared test samples (95% interval of the difference and a two-sided p) for the metrics "
        "computable per sample, and McNemar's test for accuracy (exact binomial below 25 discordant pairs, else "
        "chi-square with continuity correction); the best value per metric is marked. Also: learning curves "
        "overlaid, per-skin-tone-band deltas, and a diff of every recorded setting. See docs/reports.md.\n"
        "Example: kohl compare skin.kohl run-3 run-4 --out compare-3-4");
    c->callback([a, &ctx] {
      ctx.action = [a] {
        auto p = core::Project::open(a->project, core::Project::Mode::kReadOnly);
        if (!p) return fail(p.status().message());
        std::vector<report::RunData> runs;
        for (const auto& name : a->runs) {
          auto r = report::load_run(*p.value(), name);
          if (!r) return fail("compare: " + r.status().message());
          runs.push_back(std::move(r.value()));
        }
        report::CompareOptions opt;
        opt.allow_different_data = a->allow;
        opt.resamples = a->resamples;
        opt.seed = a->seed;
        auto page = report::render_compare(runs, opt);
        if (!page) return fail("compare: " + page.status().message());
        if (auto s = report::write_files(a->out, {{"index.html", page.value().html},
                                                  {"compare.json", page.value().json.dump(2) + "\n"}});
            !s)
          return fail("compare: " + s.message());
        if (a->json) std::cout << page.value().json.dump(2) << "\n";
        else std::cout << a->out << "/index.html\n";
        return 0;
      };
    });
  }
}

}  // namespace kohl::cli
