// kohl faces detect | kohl annotate auto | kohl tryon: the face domain on the command line.
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "kohl/core/codecs.hpp"
#include "kohl/core/data_store.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/faces/annotate.hpp"
#include "kohl/faces/detector.hpp"
#include "kohl/faces/makeup_client.hpp"
#include "progress_bar.hpp"

namespace kohl::cli {

using sdk::Json;

namespace {

void add_detector_options(CLI::App* c, faces::DetectorOptions& o) {
  c->add_option("--detector", o.detector,
                "auto (dlib HOG, then OpenCV's Haar cascade when HOG finds nothing) | dlib-hog | opencv-haar")
      ->capture_default_str();
  c->add_option("--model", o.model_path,
                "The 68-point landmark model (default: $KOHL_DLIB_MODEL, else Debian libdlib-data's "
                "shape_predictor_68_face_landmarks.dat)");
}

// Boxes, landmarks and regions drawn over the image, for people to check a detection.
cv::Mat draw_analysis(const cv::Mat& bgr, const std::vector<faces::FaceAnalysis>& found) {
  cv::Mat out = bgr.clone();
  // MT-14 colours (BGR) for the overlay; background and unestimated labels stay clear.
  static const cv::Vec3b kColours[14] = {{0, 0, 0},     {120, 200, 255}, {30, 80, 140},  {30, 140, 80}, {255, 80, 0},
                                         {0, 200, 60},  {0, 220, 255},   {60, 30, 230},  {255, 255, 255},
                                         {170, 30, 200}, {0, 0, 0},      {0, 0, 0},      {0, 0, 0},      {0, 0, 0}};
  for (const auto& a : found) {
    if (!a.regions.labels.empty()) {
      for (int y = 0; y < out.rows; ++y) {
        const auto* l = a.regions.labels.ptr<std::uint8_t>(y);
        const auto* es = a.regions.eyeshadow.ptr<std::uint8_t>(y);
        const auto* ch = a.regions.cheeks.ptr<std::uint8_t>(y);
        auto* o = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < out.cols; ++x) {
          cv::Vec3b c = l[x] > 0 && l[x] < 14 ? kColours[l[x]] : cv::Vec3b(0, 0, 0);
          if (es[x]) c = {200, 90, 200};
          if (ch[x]) c = {120, 120, 255};
          if (c == cv::Vec3b(0, 0, 0)) continue;
          for (int k = 0; k < 3; ++k) o[x][k] = static_cast<std::uint8_t>((o[x][k] * 6 + c[k] * 4) / 10);
        }
      }
    }
    cv::rectangle(out, a.face.box, cv::Scalar(0, 255, 0), 2);
    for (const auto& p : a.face.landmarks) cv::circle(out, p, 2, cv::Scalar(0, 255, 255), cv::FILLED);
  }
  return out;
}

}  // namespace

void add_faces_commands(CLI::App& app, Context& ctx) {
  // ---- faces detect ------------------------------------------------------------------------
  {
    auto* faces_cmd = app.add_subcommand("faces", "Find faces, their 68 landmarks, regions and skin tone");
    faces_cmd->require_subcommand(1);
    struct Args {
      std::string image, draw;
      bool json = false, no_landmarks = false;
      faces::DetectorOptions detector;
    };
    auto a = std::make_shared<Args>();
    auto* c = faces_cmd->add_subcommand(
        "detect", "Detect faces in an image: box, 68 landmarks (dlib-68), MT-14 regions and skin tone per face");
    c->add_option("image", a->image, "An image file (JPEG, PNG, BMP, WebP)")->required();
    c->add_flag("--json", a->json,
                "Print {\"faces\": [{\"box\": [x, y, w, h], \"landmarks\": [[x, y] x68], \"skin\": {\"ita\", "
                "\"fitzpatrick\", \"monk\", \"undertone\", \"lab\", \"hex\"}}]}");
    c->add_option("--draw", a->draw, "Also write the image with boxes, landmarks and regions drawn on it (PNG)");
    c->add_flag("--no-landmarks", a->no_landmarks, "Boxes only (no landmark model needed; no regions or skin tone)");
    add_detector_options(c, a->detector);
    c->footer(std::string("Skin tone: CIELAB (D65) of the face skin after one-sigma trimming, ITA, Fitzpatrick type "
                          "(Fitzpatrick17k thresholds), nearest Monk shade by CIEDE2000, undertone from the hue angle "
                          "(docs/faces.md).\nLicence: ") +
              faces::kLandmarkModelLicense);
    c->callback([a, &ctx] {
      ctx.action = [a] {
        auto img = core::codecs::read(a->image);
        if (!img) return fail(img.status().message());
        a->detector.landmarks = !a->no_landmarks;
        auto det = faces::FaceDetector::create(a->detector);
        if (!det) return fail(det.status().message());
        auto found = faces::analyze_faces(img.value(), *det.value());
        if (!found) return fail(a->image + ": " + found.status().message());
        if (!a->draw.empty()) {
          if (auto s = core::codecs::write(a->draw, draw_analysis(img.value(), found.value())); !s)
            return fail(s.message());
        }
        if (a->json) {
          Json faces = Json::array();
          for (const auto& f : found.value()) faces.push_back(faces::analysis_json(f));
          std::cout << Json{{"image", a->image},
                            {"width", img.value().cols},
                            {"height", img.value().rows},
                            {"faces", faces}}
                           .dump(2)
                    << "\n";
          return 0;
        }
        const auto& v = found.value();
        std::cout << a->image << ": " << v.size() << (v.size() == 1 ? " face" : " faces") << "\n";
        for (std::size_t i = 0; i < v.size(); ++i) {
          const auto& f = v[i];
          const auto& b = f.face.box;
          std::cout << std::fixed << std::setprecision(1) << "  face " << i + 1 << ": box " << b.x << "," << b.y << " "
                    << b.width << "x" << b.height << " (" << f.face.detector << ", score "
                    << std::setprecision(2) << f.face.score << "), " << f.face.landmarks.size() << " landmarks\n";
          if (f.skin) {
            const auto& s = *f.skin;
            std::cout << std::setprecision(1) << "    skin: ITA " << s.ita << " deg, Fitzpatrick "
                      << sdk::color::fitzpatrick_roman(s.fitzpatrick) << ", Monk " << s.monk << ", " << s.undertone
                      << " undertone, L*a*b* " << s.lab.L << " " << s.lab.a << " " << s.lab.b << " ("
                      << sdk::color::to_hex(s.lab) << ")\n";
          } else if (!f.skin_error.empty()) {
            std::cout << "    skin: not measured (" << f.skin_error << ")\n";
          }
        }
        return 0;
      };
    });
  }

  // ---- annotate auto -----------------------------------------------------------------------
  {
    auto* annotate = app.add_subcommand("annotate", "Annotate a project's images automatically, for people to review");
    annotate->require_subcommand(1);
    struct Args {
      std::string project, report;
      bool json = false;
      faces::AnnotateOptions options;
    };
    auto a = std::make_shared<Args>();
    auto* c = annotate->add_subcommand(
        "auto",
        "Detect faces in every image and store boxes, landmarks (dlib-68), the MT-14 mask and the measured skin tone "
        "(attributes skin_ita, skin_monk, skin_fitzpatrick, skin_undertone, skin_lab_*) as annotations by "
        "auto:org.kohl.faces@VERSION, unreviewed");
    c->add_option("project", a->project, "The project file (*.kohl)")->required();
    c->add_option("--dataset", a->options.dataset, "Only this dataset (default: every image)");
    c->add_option("--threads", a->options.threads, "Worker threads")->capture_default_str()->check(CLI::Range(1, 256));
    c->add_flag("--skip-done", a->options.skip_done, "Leave images the auto-annotator already annotated");
    c->add_option("--report", a->report, "Write the summary (with per-file errors) as JSON to this file");
    c->add_flag("--json", a->json, "Print the summary as JSON");
    add_detector_options(c, a->options.detector);
    c->footer(std::string("Each chunk of 32 images is one transaction and one undo step (`kohl data undo`); Ctrl-C "
                          "stops after the current chunk, and --skip-done carries on.\nLicence: ") +
              faces::kLandmarkModelLicense);
    c->callback([a, &ctx] {
      ctx.action = [a] {
        return with_store(a->project, core::Project::Mode::kReadWrite, [&](core::DataStore& store) {
          ProgressBar bar;
          auto r = faces::auto_annotate(store, a->options, bar);
          bar.finish();
          if (!r) return fail(r.status().message());
          const Json& rep = r.value();
          if (int rc = write_report(a->report, rep)) return rc;
          if (a->json) {
            std::cout << rep.dump(2) << "\n";
          } else {
            std::cout << "annotated " << rep["annotated"] << " of " << rep["images"] << " images (" << rep["faces"]
                      << " faces; " << rep["no_face"] << " without a face; " << rep["skipped"] << " skipped; "
                      << rep["errors"].size() << " errors) as " << rep["annotator"].get<std::string>() << "\n";
            for (const auto& e : rep["errors"])
              std::cout << "  " << e["file"].get<std::string>() << ": " << e["reason"].get<std::string>() << "\n";
            if (rep.value("cancelled", false)) std::cout << "cancelled: run again with --skip-done to continue\n";
          }
          return rep.value("cancelled", false) ? 130 : 0;
        });
      };
    });
  }

  // ---- tryon -------------------------------------------------------------------------------
  {
    struct Args {
      std::string image, out, lip, eyeshadow, blush, foundation, eyeliner, finish = "matte";
      double opacity = 0.7, spread = 0.5, coverage = 0.6, thickness = 0.4;
      bool json = false;
      faces::DetectorOptions detector;
    };
    auto a = std::make_shared<Args>();
    auto* c = app.add_subcommand("tryon", "Render makeup onto the largest face of an image (virtual try-on)");
    c->add_option("image", a->image, "An image file with a face")->required();
    c->add_option("--out,-o", a->out, "Where to write the rendered image (PNG or JPEG by extension)")->required();
    const char* color_help = " colour: #rrggbb or L,a,b (CIELAB D65)";
    c->add_option("--lip", a->lip, std::string("Lipstick") + color_help);
    c->add_option("--eyeshadow", a->eyeshadow, std::string("Eyeshadow") + color_help);
    c->add_option("--blush", a->blush, std::string("Blush") + color_help);
    c->add_option("--foundation", a->foundation, std::string("Foundation") + color_help);
    c->add_option("--eyeliner", a->eyeliner, std::string("Eyeliner") + color_help);
    c->add_option("--opacity", a->opacity, "Opacity of every item, 0..1")->capture_default_str()->check(CLI::Range(0.0, 1.0));
    c->add_option("--finish", a->finish, "Lipstick finish: matte | gloss")->capture_default_str()
        ->check(CLI::IsMember({"matte", "gloss"}));
    c->add_option("--spread", a->spread, "Eyeshadow spread toward the brow, 0..1")->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    c->add_option("--coverage", a->coverage, "Foundation coverage, 0..1")->capture_default_str()->check(CLI::Range(0.0, 1.0));
    c->add_option("--thickness", a->thickness, "Eyeliner thickness, 0..1")->capture_default_str()->check(CLI::Range(0.0, 1.0));
    c->add_flag("--json", a->json, "Print the face found and the palette applied as JSON");
    add_detector_options(c, a->detector);
    c->footer("Example: kohl tryon face.jpg --out face-tryon.png --lip '#b0303a' --blush '#e08080' --opacity 0.8\n"
              "The renderer is the makeup plugin (org.kohl.augment.makeup), found like every plugin "
              "(build/plugins, KOHL_PLUGIN_PATH).");
    c->callback([a, &ctx] {
      ctx.action = [a] {
        // The palette first: a bad colour is a usage error, reported before any work.
        Json palette = Json::object();
        auto add = [&](const char* item, const std::string& text, Json extra) -> bool {
          if (text.empty()) return true;
          auto lab = sdk::color::parse_color(text);
          if (!lab) {
            fail(std::string("--") + item + ": " + lab.status().message());
            return false;
          }
          extra["lab"] = {lab.value().L, lab.value().a, lab.value().b};
          palette[item] = extra;
          return true;
        };
        if (!add("lip", a->lip, {{"opacity", a->opacity}, {"finish", a->finish}}) ||
            !add("eyeshadow", a->eyeshadow, {{"opacity", a->opacity}, {"spread", a->spread}}) ||
            !add("blush", a->blush, {{"opacity", a->opacity}}) ||
            !add("foundation", a->foundation, {{"coverage", a->coverage * a->opacity}}) ||
            !add("eyeliner", a->eyeliner, {{"opacity", a->opacity}, {"thickness", a->thickness}}))
          return 2;
        if (palette.empty())
          return fail("nothing to apply: give at least one of --lip, --eyeshadow, --blush, --foundation, --eyeliner");

        auto img = core::codecs::read(a->image);
        if (!img) return fail(img.status().message());
        auto det = faces::FaceDetector::create(a->detector);
        if (!det) return fail(det.status().message());
        auto found = det.value()->detect(img.value());
        if (!found) return fail(a->image + ": " + found.status().message());
        if (found.value().empty()) return fail(a->image + ": no face found (try --detector opencv-haar)");
        const auto& face = found.value().front();

        core::PluginHost host;
        host.load_dirs(core::PluginHost::default_search_dirs());
        auto renderer = faces::MakeupRenderer::create(host);
        if (!renderer) return fail(renderer.status().message());
        auto out = renderer.value().render(img.value(), face.landmarks, palette);
        if (!out) return fail(a->image + ": " + out.status().message());
        if (auto s = core::codecs::write(a->out, out.value()); !s) return fail(s.message());
        if (a->json) {
          const auto& b = face.box;
          std::cout << Json{{"image", a->image}, {"out", a->out}, {"box", {b.x, b.y, b.width, b.height}},
                            {"palette", palette}}
                           .dump(2)
                    << "\n";
        } else {
          std::cout << "wrote " << a->out << " (" << palette.size() << " items on the face at " << face.box.x << ","
                    << face.box.y << ")\n";
        }
        return 0;
      };
    });
  }
}

}  // namespace kohl::cli
