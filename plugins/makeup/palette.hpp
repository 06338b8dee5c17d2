// The makeup palette: what the renderer draws, read from and written to the persisted
// palette JSON (sample.extra["makeup"], sample.extra["makeup_request"], the ground truth of
// synthetic pairs). Keys are persisted and never renamed; every item is optional (absent =
// not applied). Colours are CIELAB D65 [L, a, b]:
//   {"lip":        {"lab": [L,a,b], "opacity": 0..1, "finish": "matte"|"gloss"},
//    "eyeshadow":  {"lab": [...], "opacity": 0..1, "spread": 0..1},
//    "blush":      {"lab": [...], "opacity": 0..1},
//    "foundation": {"lab": [...], "coverage": 0..1},
//    "eyeliner":   {"lab": [...], "opacity": 0..1, "thickness": 0..1}}
// Inside an item only "lab" is required; the others default to kDefault* below.
#pragma once

#include <optional>
#include <random>

#include "kohl/sdk/color.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::makeup {

using sdk::color::Lab;

// Defaults of an item's fields when a request omits them; also the fixed-mode parameters'
// defaults, so `--set lip_color=#aa3344` and {"lip": {"lab": ...}} mean the same.
constexpr double kDefaultLipOpacity = 0.8;
constexpr double kDefaultEyeshadowOpacity = 0.6;
constexpr double kDefaultEyeshadowSpread = 0.5;
constexpr double kDefaultBlushOpacity = 0.35;
constexpr double kDefaultFoundationCoverage = 0.6;
constexpr double kDefaultEyelinerOpacity = 0.9;
constexpr double kDefaultEyelinerThickness = 0.4;

struct Lipstick {
  Lab lab;
  double opacity = kDefaultLipOpacity;
  bool gloss = false;
};
struct Eyeshadow {
  Lab lab;
  double opacity = kDefaultEyeshadowOpacity;
  double spread = kDefaultEyeshadowSpread;  // 0 = lid only, 1 = up to the brow, feathered wider
};
struct Blush {
  Lab lab;
  double opacity = kDefaultBlushOpacity;
};
struct Foundation {
  Lab lab;
  double coverage = kDefaultFoundationCoverage;  // opacity, and how much skin detail it evens out
};
struct Eyeliner {
  Lab lab;
  double opacity = kDefaultEyelinerOpacity;
  double thickness = kDefaultEyelinerThickness;
};

struct Palette {
  std::optional<Lipstick> lip;
  std::optional<Eyeshadow> eyeshadow;
  std::optional<Blush> blush;
  std::optional<Foundation> foundation;
  std::optional<Eyeliner> eyeliner;
  bool empty() const { return !lip && !eyeshadow && !blush && !foundation && !eyeliner; }
};

// Parses a palette JSON object. Unknown keys are errors (a typo must not silently drop an
// item); the message names the key and what was expected, prefixed by `what`.
sdk::Result<Palette> palette_from_json(const sdk::Json& j, const std::string& what = "makeup palette");

// The palette as JSON, every field of every present item written.
sdk::Json palette_to_json(const Palette& p);

// The random distribution of the augmenter (and of MakeupRenderer::render_random):
// plausible cosmetic colours per item, each item present with its own probability,
// never an empty palette. `skin` is the face's measured mean skin colour: the foundation
// shade is drawn near it. Uses only `rng`, so a seed reproduces the palette.
Palette random_palette(std::mt19937_64& rng, const Lab& skin);

}  // namespace kohl::makeup
