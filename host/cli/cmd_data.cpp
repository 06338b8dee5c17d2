// kohl data import | export | ls | stats | show | split | snapshot | relink | subjects | forget |
//           label | attr | review | undo | redo (and synth, from cmd_synth.cpp)
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <functional>
#include <future>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kohl/core/data_store.hpp"
#include "kohl/core/formats.hpp"
#include "kohl/core/image_probe.hpp"
#include "kohl/core/log.hpp"
#include "progress_bar.hpp"

namespace kohl::cli {

namespace fs = std::filesystem;
using sdk::Json;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// "set=value" -> (set, value)
bool split_assignment(const std::string& a, std::string& key, std::string& value) {
  const auto eq = a.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  key = a.substr(0, eq);
  value = a.substr(eq + 1);
  return true;
}

void print_counts(const std::string& title, const Json& counts) {
  std::cout << title << "\n";
  for (const auto& [k, v] : counts.items()) std::cout << "  " << std::left << std::setw(24) << k << v << "\n";
}

sdk::Status read_entry_bytes(core::DataStore& store, const core::ImageEntry& e, std::vector<std::uint8_t>& out) {
  std::error_code ec;
  if (fs::exists(e.path, ec)) return core::read_file_bytes(e.path, out);
  out = store.embedded_bytes(e.id);
  if (!out.empty()) return sdk::Status::ok();
  return sdk::Status::io_error(e.path + ": missing (moved? run `kohl data relink PROJECT NEW_FOLDER`)");
}

}  // namespace

int with_store(const std::string& path, core::Project::Mode mode, const std::function<int(core::DataStore&)>& fn) {
  auto p = core::Project::open(path, mode);
  if (!p) return fail(p.status().message());
  core::DataStore store(*p.value());
  return fn(store);
}

int write_report(const std::string& path, const Json& report) {
  if (path.empty()) return 0;
  std::ofstream out(path);
  out << report.dump(2) << "\n";
  return out ? 0 : fail(path + ": cannot write the report");
}

void add_data_commands(CLI::App& app, Context& ctx) {
  auto* data = app.add_subcommand("data", "Import, inspect, split, snapshot and export face datasets");
  data->require_subcommand(1);

  // ---- import ------------------------------------------------------------------------------
  {
    struct Args {
      std::string project, src, format, dataset, report, label_set = "class", remap, path_column = "path",
          subject_column = "subject", license, consent;
      std::vector<std::string> labels, attrs;
      std::uint64_t max_pixels = 64'000'000;
      int threads = 2;
      bool embed = false, json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("import", "Import a dataset folder into a project (one transaction: all or nothing)");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("src", a->src, "The dataset's top folder")->required();
    c->add_option("--format,-f", a->format, "folder | csv | kohl | coco-keypoints | mt | celebamask (layouts: docs/datasets.md)")
        ->required();
    c->add_option("--dataset", a->dataset, "Name of the dataset in the project (default: the folder's name)");
    c->add_option("--report", a->report, "Write {imported, skipped, errors: [{file, reason}]} as JSON to this file");
    c->add_option("--label-set", a->label_set, "folder: the label set the sub-folder names are classes of (default: class)");
    c->add_option("--remap", a->remap, "celebamask: remap the 19-label masks to this map on import (mt-14)");
    c->add_option("--path-column", a->path_column, "csv: the column holding image paths (default: path)");
    c->add_option("--subject-column", a->subject_column, "csv: the column holding subject ids (default: subject)");
    c->add_option("--label", a->labels, "csv: COLUMN[:SET] is a label column (repeatable; label.<set> columns are found anyway)");
    c->add_option("--attr", a->attrs, "csv: COLUMN is an attribute column (repeatable; attr.<name> columns are found anyway)");
    c->add_option("--license", a->license, "The data's licence, recorded with its source");
    c->add_option("--consent", a->consent, "The consent basis of the people pictured, recorded with the source");
    c->add_option("--max-pixels", a->max_pixels, "Refuse images larger than this, checked from the header (default 64000000)");
    c->add_option("--threads", a->threads, "Threads reading and hashing files (default 2)")->check(CLI::Range(1, 64));
    c->add_flag("--embed", a->embed, "Store the image files inside the project too");
    c->add_flag("--json", a->json, "Print the report as JSON on stdout");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        core::ReadOptions ro;
        ro.label_set = a->label_set;
        ro.remap_to = a->remap;
        ro.path_column = a->path_column;
        ro.subject_column = a->subject_column;
        ro.label_columns = a->labels;
        ro.attribute_columns = a->attrs;
        ro.license = a->license;
        ro.consent = a->consent;
        const auto t0 = std::chrono::steady_clock::now();
        // The source is listed on its own thread while the project opens: neither needs the other.
        auto listing = std::async(std::launch::async, [&] { return core::read_dataset(a->format, a->src, ro); });
        auto project = core::Project::open(a->project, core::Project::Mode::kReadWrite);
        auto batch = listing.get();
        core::logger()->debug("import: source read in {:.3f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (!batch) return fail(batch.status().message());
        if (!project) return fail(project.status().message());
        core::DataStore store(*project.value());
        core::ImportOptions io;
        io.dataset = a->dataset;
        io.max_pixels = a->max_pixels;
        io.embed = a->embed;
        io.threads = a->threads;
        ProgressBar bar;
        auto r = store.ingest(std::move(batch).value(), io, bar);
        bar.finish();
        if (!r) return fail(r.status().message());
        const auto& rep = r.value();
        Json errors = Json::array();
        for (const auto& e : rep.errors) errors.push_back({{"file", e.file}, {"reason", e.reason}});
        const Json report = {{"imported", rep.imported}, {"skipped", rep.skipped}, {"duplicates", rep.duplicates},
                             {"dataset", rep.dataset}, {"errors", errors}};
        if (int rc = write_report(a->report, report)) return rc;
        if (a->json) {
          std::cout << report.dump(2) << "\n";
        } else {
          std::cout << "imported " << rep.imported << " images into dataset '" << rep.dataset << "'; skipped "
                    << rep.skipped << " (" << rep.duplicates << " already in the project, " << rep.errors.size()
                    << " with errors)\n";
          std::size_t shown = 0;
          for (const auto& e : rep.errors) {
            if (++shown > 20) {
              std::cout << "  ... and " << rep.errors.size() - 20 << " more (see --report FILE)\n";
              break;
            }
            std::cout << "  " << e.file << ": " << e.reason << "\n";
          }
        }
        return 0;
      };
    });
  }

  // ---- export ------------------------------------------------------------------------------
  {
    struct Args {
      std::string project, format, out, dataset, snapshot, split, label_set;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("export", "Write the project's images and annotations in a dataset format");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("--format,-f", a->format, "folder | csv | kohl | coco-keypoints")->required();
    c->add_option("--out,-o", a->out, "An empty or new folder to write into")->required();
    c->add_option("--dataset", a->dataset, "Only this dataset");
    c->add_option("--snapshot", a->snapshot, "Export what a snapshot froze instead of the current annotations");
    c->add_option("--split", a->split, "Only train, val or test");
    c->add_option("--label-set", a->label_set, "folder: the label set whose classes become sub-folders");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadOnly, [&](core::DataStore& store) {
          std::vector<core::ImageEntry> entries;
          if (!a->snapshot.empty()) {
            auto r = store.snapshot_entries(a->snapshot, a->split, true);
            if (!r) return fail(r.status().message());
            entries = std::move(r).value();
          } else {
            core::EntryFilter f;
            f.dataset = a->dataset;
            f.split = a->split;
            entries = store.entries(f, true);
          }
          core::WriteOptions wo;
          wo.label_set = a->label_set;
          wo.sources = store.sources();
          wo.label_remaps = store.label_remaps();
          wo.read_image = [&store](const core::ImageEntry& e, std::vector<std::uint8_t>& out) {
            return read_entry_bytes(store, e, out);
          };
          auto r = core::write_dataset(a->format, entries, store.label_sets(), store.label_maps(), a->out, wo);
          if (!r) return fail(r.status().message());
          std::cout << "exported " << entries.size() << " images as " << a->format << " to " << a->out << "\n";
          return 0;
        });
      };
    });
  }

  // ---- ls / stats / show -------------------------------------------------------------------
  for (const bool stats : {false, true}) {
    struct Args {
      std::string project;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = stats ? data->add_subcommand("stats", "What `data ls` shows, plus attribute histograms and image sizes")
                    : data->add_subcommand("ls", "Count images by split, label, source and dataset");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_flag("--json", a->json, "Print JSON: {images, by_split, by_label, by_source, by_dataset, ...}");
    c->callback([&ctx, a, stats] {
      ctx.action = [a, stats] {
        return with_store(a->project, core::Project::Mode::kReadOnly, [&](core::DataStore& store) {
          const Json j = stats ? store.stats() : store.summary();
          if (a->json) {
            std::cout << j.dump(2) << "\n";
            return 0;
          }
          std::cout << "images: " << j["images"] << "   subjects: " << j["subjects"]
                    << "   with landmarks: " << j["with_landmarks"] << "   with masks: " << j["with_masks"] << "\n";
          print_counts("by split:", j["by_split"]);
          print_counts("by dataset:", j["by_dataset"]);
          print_counts("by source:", j["by_source"]);
          // Classes in their label set's order (Monk 1..10), not JSON's alphabetical one.
          for (const auto& [set, classes] : store.label_sets()) {
            std::cout << "label set " << set << ":\n";
            for (const auto& cls : classes)
              std::cout << "  " << std::left << std::setw(24) << cls << j["by_label"][set].value(cls, 0) << "\n";
          }
          print_counts("review:", j["review"]);
          if (!j["snapshots"].empty()) {
            std::cout << "snapshots:\n";
            for (const auto& s : j["snapshots"])
              std::cout << "  " << std::left << std::setw(24) << s["name"].get<std::string>() << s["images"] << " images, "
                        << s["created"].get<std::string>() << "\n";
          }
          if (stats)
            for (const auto& [name, at] : j["attributes"].items()) {
              std::cout << "attribute " << name << " (" << at["kind"].get<std::string>() << "):\n";
              if (at["kind"] == "numeric") {
                const auto& h = at["histogram"];
                std::int64_t peak = 1;
                for (const auto& c2 : h["counts"]) peak = std::max<std::int64_t>(peak, c2.get<std::int64_t>());
                for (std::size_t b = 0; b < h["counts"].size(); ++b) {
                  const auto n = h["counts"][b].get<std::int64_t>();
                  std::cout << "  " << std::right << std::setw(9) << std::fixed << std::setprecision(2)
                            << h["edges"][b].get<double>() << " " << std::string(static_cast<std::size_t>(n * 40 / peak), '#')
                            << " " << n << "\n";
                }
              } else {
                for (const auto& [k, v] : at["counts"].items()) std::cout << "  " << std::left << std::setw(22) << k << v << "\n";
              }
            }
          return 0;
        });
      };
    });
  }
  {
    struct Args {
      std::string project;
      std::int64_t image = 0;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("show", "Print one image's record (annotations, file, hash) as JSON");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("image", a->image, "Image id (see `kohl data export` or the GUI)")->required();
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadOnly, [&](core::DataStore& store) {
          auto e = store.entry(a->image, false);
          if (!e) return fail("no image with id " + std::to_string(a->image));
          Json j = core::entry_to_json(*e);
          j["id"] = e->id;
          j["path"] = e->path;
          j["dataset"] = e->dataset;
          j["source"] = e->source;
          j["format"] = e->format;
          j["mask_label_map"] = e->mask_label_map;
          std::cout << j.dump(2) << "\n";
          return 0;
        });
      };
    });
  }

  // ---- split / snapshot ----------------------------------------------------------------------
  {
    struct Args {
      std::string project, ratios = "0.8,0.1,0.1", stratify, dataset;
      bool by_subject = false, json = false;
      std::uint64_t seed = 0;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("split", "Assign train/val/test, reproducibly from a seed (undoable)");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("--ratios", a->ratios, "train,val[,test] shares (default 0.8,0.1,0.1)");
    c->add_option("--stratify", a->stratify, "Keep this label set's classes in the same proportions in every split");
    c->add_flag("--by-subject", a->by_subject, "Keep all images of a subject in one split (no identity leaks)");
    c->add_option("--seed", a->seed, "Random seed: the same seed and data give the same split")->required();
    c->add_option("--dataset", a->dataset, "Split only this dataset's images");
    c->add_flag("--json", a->json, "Print the counts as JSON");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        core::SplitOptions o;
        o.ratios.clear();
        std::stringstream ss(a->ratios);
        std::string part;
        while (std::getline(ss, part, ',')) {
          try {
            std::size_t used = 0;
            o.ratios.push_back(std::stod(part, &used));
            if (used != part.size()) throw std::invalid_argument(part);
          } catch (const std::exception&) {
            return fail("--ratios: '" + part + "' is not a number (expected e.g. 0.8,0.1,0.1)");
          }
        }
        o.stratify = a->stratify;
        o.by_subject = a->by_subject;
        o.seed = a->seed;
        o.dataset = a->dataset;
        return with_store(a->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          auto r = store.split(o);
          if (!r) return fail(r.status().message());
          if (a->json) std::cout << r.value().dump(2) << "\n";
          else
            std::cout << "split " << r.value()["units"]
                      << (o.by_subject ? " units (a subject's images together; images without a subject alone)"
                                       : " images")
                      << ": train "
                      << r.value().value("train", 0) << ", val " << r.value().value("val", 0) << ", test "
                      << r.value().value("test", 0) << " (undo with `kohl data undo`)\n";
          return 0;
        });
      };
    });
  }
  {
    struct Args {
      std::string project, name;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("snapshot", "Freeze images, annotations and split under a name that runs refer to");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("name", a->name, "A new name, e.g. v1")->required();
    c->add_flag("--json", a->json, "Print {name, images, digest, created} as JSON");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          auto r = store.snapshot(a->name);
          if (!r) return fail(r.status().message());
          const auto& s = r.value();
          if (a->json)
            std::cout << Json{{"name", s.name}, {"images", s.images}, {"digest", s.digest}, {"created", s.created}}.dump(2) << "\n";
          else
            std::cout << "snapshot '" << s.name << "': " << s.images << " images frozen (digest " << s.digest.substr(0, 12)
                      << ")\n";
          return 0;
        });
      };
    });
  }

  // ---- relink ------------------------------------------------------------------------------
  {
    struct Args {
      std::string project, folder;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("relink", "Find moved image files by content under a folder and update their paths");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("folder", a->folder, "Where the files are now")->required();
    c->add_flag("--json", a->json, "Print {relinked, still_missing, present} as JSON");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          ProgressBar bar;
          auto r = store.relink(a->folder, bar);
          bar.finish();
          if (!r) return fail(r.status().message());
          if (a->json) std::cout << r.value().dump(2) << "\n";
          else
            std::cout << "relinked " << r.value()["relinked"] << " images; " << r.value()["still_missing"]
                      << " still missing\n";
          return 0;
        });
      };
    });
  }

  // ---- subjects and erasure ------------------------------------------------------------------
  {
    struct Args {
      std::string project;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("subjects", "List the subjects (pseudonymous ids), their images and the runs trained on them");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_flag("--json", a->json, "Print [{subject, images, trained_runs}] as JSON");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadOnly, [&](core::DataStore& store) {
          const Json all = store.subjects();
          if (a->json) {
            std::cout << all.dump(2) << "\n";
            return 0;
          }
          if (all.empty()) std::cout << "no subjects (import with a subject column, or kohl data synth)\n";
          for (const auto& s : all)
            std::cout << std::left << std::setw(24) << s["subject"].get<std::string>() << std::right << std::setw(6)
                      << s["images"].get<std::int64_t>() << " images, in the training data of "
                      << s["trained_runs"].get<std::int64_t>() << " runs\n";
          return 0;
        });
      };
    });
  }
  {
    struct Args {
      std::string project, subject;
      bool dry_run = false, delete_files = false, json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand(
        "forget",
        "Erase a subject with everything derived from it (images, annotations, masks, snapshot rows, predictions, "
        "thumbnails, undo history) and list the models trained on it");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("subject", a->subject, "The subject's pseudonymous id (kohl data subjects PROJECT)")->required();
    c->add_flag("--dry-run,-n", a->dry_run, "Only say what would be erased");
    c->add_flag("--delete-files", a->delete_files, "Also delete the subject's image files from disk");
    c->add_flag("--json", a->json,
                "Print {subject, dry_run, images, files, files_deleted, thumbnails_removed, snapshots, trained_runs, "
                "evaluated_runs, undo_history_cleared, wal_truncated}");
    c->footer(
        "Erasure is one transaction with SQLite's secure_delete on, then the WAL is checkpointed and emptied, so the\n"
        "project file keeps no copy of what was erased. Snapshots lose the subject's rows (their digest still names what\n"
        "was frozen then). Checkpoints and exported bundles of the runs listed as trained on the subject still carry what\n"
        "they learnt from it: retrain them without it. A record of the erasure (subject, time, counts) stays in the\n"
        "project.");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          auto r = store.erase_subject(a->subject, a->dry_run, a->delete_files);
          if (!r) return fail(r.status().message());
          const Json& j = r.value();
          if (a->json) {
            std::cout << j.dump(2) << "\n";
            return 0;
          }
          auto names = [](const Json& v) {
            std::string s;
            for (const auto& x : v) s += (s.empty() ? "" : ", ") + x.get<std::string>();
            return s.empty() ? std::string("none") : s;
          };
          const bool dry = j["dry_run"].get<bool>();
          std::cout << (dry ? "would erase" : "erased") << " subject '" << j["subject"].get<std::string>() << "': "
                    << j["images"] << " images with their annotations and masks\n"
                    << "  snapshots that held them: " << names(j["snapshots"]) << "\n"
                    << "  runs evaluated on them (predictions " << (dry ? "would be " : "") << "removed): "
                    << names(j["evaluated_runs"]) << "\n"
                    << "  models trained on them: " << names(j["trained_runs"])
                    << (j["trained_runs"].empty() ? "" : " (their checkpoints and bundles still carry it: retrain)") << "\n";
          if (j["undo_history_cleared"].get<bool>())
            std::cout << "  the undo/redo history " << (dry ? "would be" : "was") << " cleared\n";
          if (!dry) {
            if (!j["wal_truncated"].get<bool>())
              std::cerr << "warning: another program has " << a->project << " open: the erased rows' old pages stay in "
                        << a->project << "-wal until it closes; close it and run any kohl command on the project\n";
            std::cout << "  thumbnails removed: " << j["thumbnails_removed"] << "\n";
            if (a->delete_files) std::cout << "  image files deleted: " << j["files_deleted"] << "\n";
          }
          if (!a->delete_files && !j["files"].empty())
            std::cout << "  the image files stay on disk (" << j["files"].size() << ", --json lists them; --delete-files "
                      << "deletes them)\n";
          return 0;
        });
      };
    });
  }

  // ---- label maps and remap tables ----------------------------------------------------------
  {
    struct Args {
      std::string project, name, from, to, table;
      std::vector<std::string> labels;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("label-map", "Define a region label map (mask value -> name), e.g. background upper_lip lower_lip");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("name", a->name, "The map's name, e.g. lips-3")->required();
    c->add_option("labels", a->labels, "Label names in value order (0, 1, 2, ...)")->required();
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          if (auto s = store.define_label_map(a->name, a->labels); !s) return fail(s.message());
          std::cout << "label map " << a->name << ": " << a->labels.size() << " labels\n";
          return 0;
        });
      };
    });
    auto b = std::make_shared<Args>();
    auto* r = data->add_subcommand("remap-table", "Define how masks in one label map become another (used by import --remap)");
    r->add_option("project", b->project, "The project file (*.kohl)")->required();
    r->add_option("from", b->from, "Source label map, e.g. mt-14")->required();
    r->add_option("to", b->to, "Target label map, e.g. lips-3")->required();
    r->add_option("--table", b->table, "Comma-separated target label for each source label, in order, e.g. 0,0,0,0,0,0,0,1,0,2,0,0,0,0")
        ->required();
    r->callback([&ctx, b] {
      ctx.action = [b] {
        std::vector<int> lut;
        std::stringstream ss(b->table);
        for (std::string part; std::getline(ss, part, ',');) {
          try {
            std::size_t used = 0;
            lut.push_back(std::stoi(part, &used));
            if (used != part.size()) throw std::invalid_argument(part);
          } catch (const std::exception&) {
            return fail("--table: '" + part + "' is not an integer");
          }
        }
        return with_store(b->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          if (auto s = store.define_remap(b->from, b->to, lut); !s) return fail(s.message());
          std::cout << "remap table " << b->from << " -> " << b->to << " saved\n";
          return 0;
        });
      };
    });
  }

  // ---- thumbnails --------------------------------------------------------------------------
  {
    struct Args {
      std::string project;
      int threads = 2, size = 256;
      bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("thumbs", "Build the thumbnail cache beside the project (PROJECT.thumbs/); decodes every image");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("--threads", a->threads, "Decoding threads (default 2)")->check(CLI::Range(1, 64));
    c->add_option("--size", a->size, "Longest side in pixels (default 256)")->check(CLI::Range(16, 4096));
    c->add_flag("--json", a->json, "Print {built, cached, errors, folder} as JSON");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadOnly, [&](core::DataStore& store) {
          ProgressBar bar;
          auto r = store.build_thumbnails(bar, a->threads, a->size);
          bar.finish();
          if (!r) return fail(r.status().message());
          if (a->json) {
            std::cout << r.value().dump(2) << "\n";
          } else {
            std::cout << "thumbnails in " << r.value()["folder"].get<std::string>() << ": " << r.value()["built"]
                      << " built, " << r.value()["cached"] << " already there, " << r.value()["errors"].size()
                      << " images could not be decoded\n";
            for (const auto& e : r.value()["errors"])
              std::cout << "  " << e["file"].get<std::string>() << ": " << e["reason"].get<std::string>() << "\n";
          }
          return 0;
        });
      };
    });
  }

  // ---- edits -------------------------------------------------------------------------------
  {
    struct Args {
      std::string project, assignment, by = "person:" + std::string(std::getenv("USER") ? std::getenv("USER") : "unknown");
      std::int64_t image = 0;
    };
    for (const char* what : {"label", "attr"}) {
      auto a = std::make_shared<Args>();
      const bool label = std::string(what) == "label";
      auto* c = data->add_subcommand(what, label ? "Set an image's class in a label set (undoable)"
                                                 : "Set an image's attribute; numbers stay numbers (undoable)");
      c->add_option("project", a->project, "The project file (*.kohl)")->required();
      c->add_option("image", a->image, "Image id")->required();
      c->add_option("assignment", a->assignment, label ? "SET=CLASS, e.g. skin_tone_monk=5" : "NAME=VALUE, e.g. ita=41.5")
          ->required();
      c->add_option("--by", a->by, "Who made this annotation (default person:$USER)");
      c->callback([&ctx, a, label] {
        ctx.action = [a, label] {
          std::string key, value;
          if (!split_assignment(a->assignment, key, value))
            return fail("'" + a->assignment + "' is not of the form " + (label ? "SET=CLASS" : "NAME=VALUE"));
          return with_store(a->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
            sdk::Status s;
            if (label) {
              s = store.set_label(a->image, key, value, a->by);
            } else {
              char* end = nullptr;
              const double d = std::strtod(value.c_str(), &end);
              s = (!value.empty() && end && *end == '\0') ? store.set_attribute(a->image, key, d, a->by)
                                                          : store.set_attribute(a->image, key, value, a->by);
            }
            if (!s) return fail(s.message());
            std::cout << "image " << a->image << ": " << key << " = " << value << "\n";
            return 0;
          });
        };
      });
    }
    auto a = std::make_shared<Args>();
    auto* c = data->add_subcommand("review", "Accept or reject an image's annotations (undoable)");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("image", a->image, "Image id")->required();
    c->add_option("assignment", a->assignment, "accepted | rejected | unreviewed")->required();
    c->add_option("--by", a->by, "Who reviewed (default person:$USER)");
    c->callback([&ctx, a] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          if (auto s = store.set_review(a->image, a->assignment, a->by); !s) return fail(s.message());
          std::cout << "image " << a->image << ": " << a->assignment << "\n";
          return 0;
        });
      };
    });
  }
  for (const bool undo : {true, false}) {
    auto project = std::make_shared<std::string>();
    auto* c = data->add_subcommand(undo ? "undo" : "redo", undo ? "Undo the last annotation edit or split" : "Redo what undo undid");
    c->add_option("project", *project, "The project file (*.kohl)")->required();
    c->callback([&ctx, project, undo] {
      ctx.action = [project, undo] {
        return with_store(*project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          auto r = undo ? store.undo() : store.redo();
          if (!r) return fail(r.status().message());
          std::cout << (undo ? "undone: " : "redone: ") << r.value() << "\n";
          return 0;
        });
      };
    });
  }

  // ---- synth (cmd_synth.cpp) ------------------------------------------------------------------
  add_synth_command(*data, ctx);
}

}  // namespace kohl::cli
