// kohl data synth OUT_DIR --count N --seed S [--size 128] [--pairs] [--threads T] [--first I] [--json]
// Writes procedural synthetic faces as a Kohl dataset (kohl::faces::write_synthetic_dataset).
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#if defined(__GLIBC__)
#endif

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/faces/makeup_client.hpp"
#include "kohl/core/memory.hpp"
#include "kohl/faces/synth.hpp"
#include "progress_bar.hpp"

namespace kohl::cli {

namespace fs = std::filesystem;

void add_synth_command(CLI::App& data, Context& ctx) {
  struct Args {
    std::string out;
    int count = 0;
    std::uint64_t seed = 0;
    int size = 128;
    int threads = 2;
    std::uint64_t first = 0;
    bool pairs = false, json = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = data.add_subcommand(
      "synth",
      "Generate synthetic faces (no person depicted) as a Kohl dataset: exact 68 landmarks, MT-14 masks, Monk / "
      "Fitzpatrick / undertone labels; with --pairs a bare and a made-up image per subject, the palette as ground "
      "truth. Import with `kohl data import PROJECT OUT_DIR --format kohl`");
  c->add_option("out", a->out, "A new or empty folder to write the dataset into")->required();
  c->add_option("--count,-n", a->count, "Number of synthetic subjects (images: N, or 2N with --pairs)")
      ->required()
      ->check(CLI::Range(1, 10'000'000));
  c->add_option("--seed", a->seed, "Seed: the same seed, count and size give the same files, whatever --threads")
      ->required();
  c->add_option("--size", a->size, "Side of the square images in px (default 128)")->check(CLI::Range(64, 1024));
  c->add_flag("--pairs", a->pairs,
              "Also render each subject made up (plugin org.kohl.augment.makeup, random palette); pairs are linked "
              "bare/makeup and the palette is stored in palette_* attributes and palettes.json");
  c->add_option("--threads", a->threads, "Worker threads (default 2); the output does not depend on it")
      ->check(CLI::Range(1, 64));
  c->add_option("--first", a->first,
                "Index of the first subject (default 0): write a big set as several folders, e.g. --count 50000 "
                "--first 50000, with the same faces one run would make (a run holds ~60 KB per 128 px face in memory)");
  c->add_flag("--json", a->json,
              "Print {images, faces, pairs, out, seed, first, size, threads, seconds, faces_per_second} as JSON");
  c->callback([&ctx, a] {
    ctx.action = [a] {
      std::error_code ec;
      if (fs::exists(a->out, ec) && !(fs::is_directory(a->out, ec) && fs::is_empty(a->out, ec)))
        return fail(a->out + ": exists and is not an empty folder (synth never overwrites; give a new folder)");
      // The renderer lives in a plugin: load them only when pairs are asked for.
      std::optional<core::PluginHost> host;
      std::optional<faces::MakeupRenderer> renderer;
      if (a->pairs) {
        host.emplace();
        host->load_dirs(core::PluginHost::default_search_dirs());
        auto r = faces::MakeupRenderer::create(*host);
        if (!r) return fail("--pairs: " + r.status().message());
        renderer.emplace(std::move(r).value());
      }
      // The generator allocates and frees a few dozen canvas-sized buffers per face.
      core::KeepFreedMemory keep_freed_memory;
      faces::SynthOptions o;
      o.count = a->count;
      o.seed = a->seed;
      o.size = a->size;
      o.pairs = a->pairs;
      o.threads = a->threads;
      o.first = a->first;
      ProgressBar bar;
      auto r = faces::write_synthetic_dataset(a->out, o, bar, renderer ? &*renderer : nullptr);
      bar.finish();
      if (!r) {
        // Nothing half-written is left behind by a failure or Ctrl-C before writing starts;
        // a failure while writing leaves a folder without kohl-dataset.json (the manifest is
        // written last), which import refuses.
        return fail(r.status().message());
      }
      const auto& j = r.value();
      if (a->json) {
        std::cout << j.dump(2) << "\n";
      } else {
        std::cout << "wrote " << j["images"].get<std::int64_t>() << " images of " << j["faces"].get<std::int64_t>()
                  << " synthetic subjects" << (a->pairs ? " (bare + made up)" : "") << " to " << a->out << " in "
                  << j["seconds"].get<double>() << " s (" << j["faces_per_second"].get<double>()
                  << " faces/s); import with: kohl data import PROJECT " << a->out << " --format kohl\n";
      }
      return 0;
    };
  });
}

}  // namespace kohl::cli
