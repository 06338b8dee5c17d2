// makeup: the makeup renderer, org.kohl.augment.makeup (persisted id).
//
// One augmenter, two uses:
// - augmentation: mode "random" draws a plausible palette per sample from the rng passed to
//   apply() (so a seed reproduces it); mode "fixed" applies the colours set in the params.
// - rendering: when sample.extra["makeup_request"] holds a palette JSON (palette.hpp), that
//   palette is applied exactly, whatever the mode and p, and the key is removed. This is how
//   the host renders any palette without making a new object per palette
//   (kohl::faces::MakeupRenderer, `kohl tryon`, synthetic pairs).
// Either way the palette applied (possibly {}) is written to sample.extra["makeup"]: the
// ground truth of synthetic makeup. Needs 68 landmarks with layout "dlib-68"; every such
// face in the sample gets the same palette.
#include <cmath>
#include <stdexcept>

#include <opencv2/core.hpp>

#include "kohl/sdk/sdk.hpp"
#include "kohl/sdk/color.hpp"
#include "palette.hpp"
#include "render.hpp"

namespace {

using namespace kohl::sdk;
using kohl::makeup::Palette;

constexpr const char* kId = "org.kohl.augment.makeup";

// A colour parameter of fixed mode: "" = item not applied.
std::optional<color::Lab> color_param(const ParamValues& p, const char* key) {
  const std::string text = param_string(p, key);
  if (text.empty()) return std::nullopt;
  auto lab = color::parse_color(text);
  if (!lab) throw std::invalid_argument(std::string(kId) + ": parameter " + key + ": " + lab.status().message());
  return *lab;
}

class Makeup final : public IAugmenter {
 public:
  // Throws (turned into an error Status by create_plugin) when a colour does not parse.
  Makeup(const ParamValues& p, IHostServices&)
      : random_(param_string(p, "mode", "random") == "random"), p_(param_float(p, "p", 1.0)) {
    if (auto c = color_param(p, "lip_color"))
      fixed_.lip = kohl::makeup::Lipstick{*c, param_float(p, "lip_opacity", kohl::makeup::kDefaultLipOpacity),
                                          param_string(p, "lip_finish", "matte") == "gloss"};
    if (auto c = color_param(p, "eyeshadow_color"))
      fixed_.eyeshadow = kohl::makeup::Eyeshadow{
          *c, param_float(p, "eyeshadow_opacity", kohl::makeup::kDefaultEyeshadowOpacity),
          param_float(p, "eyeshadow_spread", kohl::makeup::kDefaultEyeshadowSpread)};
    if (auto c = color_param(p, "blush_color"))
      fixed_.blush = kohl::makeup::Blush{*c, param_float(p, "blush_opacity", kohl::makeup::kDefaultBlushOpacity)};
    if (auto c = color_param(p, "foundation_color"))
      fixed_.foundation = kohl::makeup::Foundation{
          *c, param_float(p, "foundation_coverage", kohl::makeup::kDefaultFoundationCoverage)};
    if (auto c = color_param(p, "eyeliner_color"))
      fixed_.eyeliner = kohl::makeup::Eyeliner{
          *c, param_float(p, "eyeliner_opacity", kohl::makeup::kDefaultEyelinerOpacity),
          param_float(p, "eyeliner_thickness", kohl::makeup::kDefaultEyelinerThickness)};
  }

  Status apply(Sample& s, std::mt19937_64& rng) const override {
    try {
      return apply_unguarded(s, rng);
    } catch (const std::exception& e) {
      return Status::error("sample " + s.id + ": makeup rendering failed: " + e.what());
    }
  }

 private:
  Status apply_unguarded(Sample& s, std::mt19937_64& rng) const {
    if (s.image.empty() || s.image.type() != CV_8UC3)
      return Status::invalid("sample " + s.id + ": the makeup renderer needs a CV_8UC3 (BGR) image");
    if (!s.extra.is_object() && !s.extra.is_null())
      return Status::invalid("sample " + s.id + ": sample.extra must be a JSON object");

    // The faces: every landmark set in the dlib-68 layout, checked before anything changes.
    std::vector<const std::vector<cv::Point2f>*> faces;
    const double limit = 4.0 * std::max(s.image.cols, s.image.rows);
    for (const auto& lm : s.landmarks) {
      if (lm.layout != kLayoutDlib68) continue;
      if (lm.points.size() != 68)
        return Status::invalid("sample " + s.id + ": layout dlib-68 needs 68 points, got " +
                               std::to_string(lm.points.size()));
      for (const auto& p : lm.points)
        if (!std::isfinite(p.x) || !std::isfinite(p.y) || std::abs(p.x) > limit || std::abs(p.y) > limit)
          return Status::invalid("sample " + s.id + ": a dlib-68 landmark is not finite or lies far outside the image");
      faces.push_back(&lm.points);
    }
    if (faces.empty())
      return Status::invalid("sample " + s.id + ": the makeup renderer (" + kId +
                             ") needs 68 face landmarks: a sample.landmarks entry with layout \"dlib-68\"; "
                             "annotate the faces first");

    // The palette: a request wins; otherwise p, then random or fixed.
    Palette palette;
    bool draw_random = false;
    if (auto it = s.extra.find("makeup_request"); it != s.extra.end()) {
      auto req = kohl::makeup::palette_from_json(*it, "sample " + s.id + ": makeup_request");
      if (!req) return req.status();
      palette = *req;
      s.extra.erase("makeup_request");
    } else if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p_) {
      if (random_) draw_random = true;
      else palette = fixed_;
    }

    cv::Mat out = s.image.clone();  // never write into the caller's buffer (copies share it)
    for (std::size_t i = 0; i < faces.size(); ++i) {
      kohl::makeup::FaceCanvas canvas(out, *faces[i]);
      // The random foundation is matched to the first face's own skin tone.
      if (i == 0 && draw_random) palette = kohl::makeup::random_palette(rng, canvas.skin_mean());
      canvas.draw(palette);
      canvas.commit(out);
    }
    s.image = out;
    s.extra["makeup"] = kohl::makeup::palette_to_json(palette);
    return Status::ok();
  }

  bool random_;
  double p_;
  Palette fixed_;
};

Status register_plugins(IRegistrar& r) {
  PluginDescriptor d;
  d.kind = PluginKind::kAugmenter;
  d.id = kId;
  d.name = "Makeup";
  d.version = "1.0.0";
  d.summary =
      "Draws lipstick, eyeshadow, blush, foundation and eyeliner from dlib-68 landmarks, blended in CIELAB so the "
      "skin's texture shows through; renders the palette JSON in sample.extra[\"makeup_request\"] exactly when "
      "present, and writes the palette applied to sample.extra[\"makeup\"].";
  d.license_notes =
      "Apache-2.0 (part of Kohl). No model weights. The landmarks it needs often come from dlib's 68-point model, "
      "trained on iBUG 300-W (non-commercial terms).";
  d.params_version = 1;
  auto& s = d.schema;
  s.add_enum("mode", "Mode", {"random", "fixed"}, "random").group("Makeup")
      .help("random: a plausible palette per sample from the seed; fixed: the colours below. A palette JSON in "
            "sample.extra[\"makeup_request\"] overrides both");
  s.add_float("p", "Probability", 1.0, 0.0, 1.0).step(0.05).group("Makeup")
      .help("Chance that a sample is made up at all (the palette applied, possibly {}, is always recorded)");
  s.add_string("lip_color", "Lipstick colour", "").group("Lips")
      .help("Fixed mode: #rrggbb or L,a,b (CIELAB D65); empty = no lipstick");
  s.add_float("lip_opacity", "Lipstick opacity", kohl::makeup::kDefaultLipOpacity, 0.0, 1.0).step(0.05).group("Lips")
      .help("0 = none, 1 = the lips' mean colour becomes the lipstick colour");
  s.add_enum("lip_finish", "Lipstick finish", {"matte", "gloss"}, "matte").group("Lips")
      .help("gloss adds specular highlights inside the lips");
  s.add_string("eyeshadow_color", "Eyeshadow colour", "").group("Eyes")
      .help("Fixed mode: #rrggbb or L,a,b; empty = no eyeshadow");
  s.add_float("eyeshadow_opacity", "Eyeshadow opacity", kohl::makeup::kDefaultEyeshadowOpacity, 0.0, 1.0)
      .step(0.05).group("Eyes").help("0 = none, 1 = full colour on the lid");
  s.add_float("eyeshadow_spread", "Eyeshadow spread", kohl::makeup::kDefaultEyeshadowSpread, 0.0, 1.0)
      .step(0.05).group("Eyes").help("0 = the lid only, 1 = up to the brow, with a wider feather");
  s.add_string("eyeliner_color", "Eyeliner colour", "").group("Eyes")
      .help("Fixed mode: #rrggbb or L,a,b; empty = no eyeliner");
  s.add_float("eyeliner_opacity", "Eyeliner opacity", kohl::makeup::kDefaultEyelinerOpacity, 0.0, 1.0)
      .step(0.05).group("Eyes").help("0 = none, 1 = full colour");
  s.add_float("eyeliner_thickness", "Eyeliner thickness", kohl::makeup::kDefaultEyelinerThickness, 0.0, 1.0)
      .step(0.05).group("Eyes").help("0 = a fine line on the lash line, 1 = a bold line with a wing");
  s.add_string("blush_color", "Blush colour", "").group("Cheeks")
      .help("Fixed mode: #rrggbb or L,a,b; empty = no blush");
  s.add_float("blush_opacity", "Blush opacity", kohl::makeup::kDefaultBlushOpacity, 0.0, 1.0).step(0.05)
      .group("Cheeks").help("0 = none, 1 = the cheeks' mean colour becomes the blush colour");
  s.add_string("foundation_color", "Foundation shade", "").group("Skin")
      .help("Fixed mode: #rrggbb or L,a,b; empty = no foundation");
  s.add_float("foundation_coverage", "Foundation coverage", kohl::makeup::kDefaultFoundationCoverage, 0.0, 1.0)
      .step(0.05).group("Skin").help("Opacity on face skin and nose; also how much it evens out skin detail");
  d.create = &create_plugin<Makeup>;
  d.destroy = &destroy_plugin;
  return r.add(d);
}

}  // namespace

KOHL_PLUGIN(register_plugins)
