// Palette JSON and the random palette distribution. See palette.hpp.
#include "palette.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace kohl::makeup {

namespace {

using sdk::Json;
using sdk::Result;
using sdk::Status;

Result<Lab> read_lab(const Json& item, const std::string& where) {
  auto it = item.find("lab");
  if (it == item.end()) return Status::invalid(where + ".lab is missing: expected [L, a, b] (CIELAB D65)");
  if (!it->is_array() || it->size() != 3 || !(*it)[0].is_number() || !(*it)[1].is_number() ||
      !(*it)[2].is_number())
    return Status::invalid(where + ".lab must be an array of 3 numbers [L, a, b] (CIELAB D65), got " + it->dump());
  const Lab lab{(*it)[0].get<double>(), (*it)[1].get<double>(), (*it)[2].get<double>()};
  if (!(lab.L >= 0 && lab.L <= 100) || !(std::abs(lab.a) <= 128) || !(std::abs(lab.b) <= 128))
    return Status::invalid(where + ".lab must have L in [0, 100] and a, b in [-128, 128], got " + it->dump());
  return lab;
}

// A number in [0, 1] under `key`, or `def` when absent.
Result<double> read_unit(const Json& item, const char* key, double def, const std::string& where) {
  auto it = item.find(key);
  if (it == item.end()) return def;
  if (!it->is_number() || !(it->get<double>() >= 0.0 && it->get<double>() <= 1.0))
    return Status::invalid(where + "." + key + " must be a number in [0, 1], got " + it->dump());
  return it->get<double>();
}

Status check_keys(const Json& item, std::initializer_list<const char*> allowed, const std::string& where) {
  if (!item.is_object()) return Status::invalid(where + " must be an object, got " + item.dump());
  for (auto it = item.begin(); it != item.end(); ++it) {
    bool ok = false;
    for (const char* k : allowed) ok = ok || it.key() == k;
    if (!ok) {
      std::string list;
      for (const char* k : allowed) list += std::string(list.empty() ? "" : ", ") + k;
      return Status::invalid(where + ": unknown key '" + it.key() + "' (expected " + list + ")");
    }
  }
  return Status::ok();
}

Json lab_json(const Lab& l) { return Json::array({l.L, l.a, l.b}); }

// ---- random draws -----------------------------------------------------------------------
// A colour family: a box in CIELAB drawn uniformly. The boxes were chosen by converting
// typical product swatches to Lab and rounding outwards; the gamut map below keeps every
// draw displayable in sRGB.
struct Family {
  double L0, L1, a0, a1, b0, b1;
};

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
bool chance(std::mt19937_64& rng, double p) { return uniform(rng, 0.0, 1.0) < p; }

// Rounds to 0.01 (a readable ground truth) and maps into the sRGB gamut by a round trip
// through clipped sRGB, so the colour recorded is the colour the renderer can reach.
Lab displayable(const Lab& lab) {
  const auto rgb = sdk::color::lab_to_srgb(lab);
  const Lab m = sdk::color::srgb_to_lab(rgb[0], rgb[1], rgb[2]);
  auto r2 = [](double v) { return std::round(v * 100.0) / 100.0; };
  return {r2(m.L), r2(m.a), r2(m.b)};
}

template <std::size_t N>
Lab draw(std::mt19937_64& rng, const std::array<Family, N>& families) {
  const auto& f = families[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng)];
  const double L = uniform(rng, f.L0, f.L1), a = uniform(rng, f.a0, f.a1), b = uniform(rng, f.b0, f.b1);
  return displayable({L, a, b});
}

// Lipsticks: reds, pinks, nudes, berries, corals, deep browns.
constexpr std::array<Family, 6> kLipFamilies = {{
    {35, 48, 45, 65, 20, 40},   // red
    {50, 65, 30, 50, 0, 15},    // pink
    {52, 66, 14, 24, 14, 24},   // nude
    {24, 38, 30, 48, -6, 10},   // berry
    {55, 66, 38, 52, 28, 42},   // coral
    {28, 40, 16, 28, 14, 26},   // brown
}};
// Eyeshadows: browns, mauves, golds/bronzes, smoky greys, plums, muted greens/teals.
constexpr std::array<Family, 6> kEyeshadowFamilies = {{
    {30, 50, 8, 20, 15, 30},    // brown
    {40, 56, 14, 26, -8, 6},    // mauve
    {55, 72, 4, 14, 30, 50},    // gold / bronze
    {22, 42, -2, 2, -4, 4},     // smoky grey
    {25, 40, 18, 34, -16, -4},  // plum
    {35, 55, -22, -8, -6, 14},  // green / teal
}};
// Blushes: pinks, peaches, roses.
constexpr std::array<Family, 3> kBlushFamilies = {{
    {60, 72, 25, 40, 4, 15},    // pink
    {66, 78, 16, 28, 20, 32},   // peach
    {50, 62, 28, 40, 10, 18},   // rose
}};
// Eyeliners: black, brown, navy.
constexpr std::array<Family, 3> kEyelinerFamilies = {{
    {8, 18, -1, 1, -1, 1},      // black
    {18, 30, 5, 12, 8, 16},     // brown
    {14, 24, 2, 10, -22, -12},  // navy
}};

// Item probabilities and ranges of the random distribution (documented in docs/faces.md).
constexpr double kPLip = 0.85, kPGloss = 0.35, kPEyeshadow = 0.6, kPBlush = 0.6, kPFoundation = 0.5,
                 kPEyeliner = 0.4;

}  // namespace

Result<Palette> palette_from_json(const Json& j, const std::string& what) {
  if (!j.is_object()) return Status::invalid(what + " must be a JSON object, got " + j.dump());
  if (Status s = check_keys(j, {"lip", "eyeshadow", "blush", "foundation", "eyeliner"}, what); !s) return s;
  Palette p;
  if (auto it = j.find("lip"); it != j.end()) {
    const std::string w = what + ".lip";
    if (Status s = check_keys(*it, {"lab", "opacity", "finish"}, w); !s) return s;
    auto lab = read_lab(*it, w);
    if (!lab) return lab.status();
    auto op = read_unit(*it, "opacity", kDefaultLipOpacity, w);
    if (!op) return op.status();
    bool gloss = false;
    if (auto f = it->find("finish"); f != it->end()) {
      if (!f->is_string() || (*f != "matte" && *f != "gloss"))
        return Status::invalid(w + ".finish must be \"matte\" or \"gloss\", got " + f->dump());
      gloss = *f == "gloss";
    }
    p.lip = Lipstick{*lab, *op, gloss};
  }
  if (auto it = j.find("eyeshadow"); it != j.end()) {
    const std::string w = what + ".eyeshadow";
    if (Status s = check_keys(*it, {"lab", "opacity", "spread"}, w); !s) return s;
    auto lab = read_lab(*it, w);
    if (!lab) return lab.status();
    auto op = read_unit(*it, "opacity", kDefaultEyeshadowOpacity, w);
    if (!op) return op.status();
    auto spread = read_unit(*it, "spread", kDefaultEyeshadowSpread, w);
    if (!spread) return spread.status();
    p.eyeshadow = Eyeshadow{*lab, *op, *spread};
  }
  if (auto it = j.find("blush"); it != j.end()) {
    const std::string w = what + ".blush";
    if (Status s = check_keys(*it, {"lab", "opacity"}, w); !s) return s;
    auto lab = read_lab(*it, w);
    if (!lab) return lab.status();
    auto op = read_unit(*it, "opacity", kDefaultBlushOpacity, w);
    if (!op) return op.status();
    p.blush = Blush{*lab, *op};
  }
  if (auto it = j.find("foundation"); it != j.end()) {
    const std::string w = what + ".foundation";
    if (Status s = check_keys(*it, {"lab", "coverage"}, w); !s) return s;
    auto lab = read_lab(*it, w);
    if (!lab) return lab.status();
    auto cov = read_unit(*it, "coverage", kDefaultFoundationCoverage, w);
    if (!cov) return cov.status();
    p.foundation = Foundation{*lab, *cov};
  }
  if (auto it = j.find("eyeliner"); it != j.end()) {
    const std::string w = what + ".eyeliner";
    if (Status s = check_keys(*it, {"lab", "opacity", "thickness"}, w); !s) return s;
    auto lab = read_lab(*it, w);
    if (!lab) return lab.status();
    auto op = read_unit(*it, "opacity", kDefaultEyelinerOpacity, w);
    if (!op) return op.status();
    auto th = read_unit(*it, "thickness", kDefaultEyelinerThickness, w);
    if (!th) return th.status();
    p.eyeliner = Eyeliner{*lab, *op, *th};
  }
  return p;
}

Json palette_to_json(const Palette& p) {
  Json j = Json::object();
  if (p.lip)
    j["lip"] = {{"lab", lab_json(p.lip->lab)}, {"opacity", p.lip->opacity}, {"finish", p.lip->gloss ? "gloss" : "matte"}};
  if (p.eyeshadow)
    j["eyeshadow"] = {{"lab", lab_json(p.eyeshadow->lab)}, {"opacity", p.eyeshadow->opacity},
                      {"spread", p.eyeshadow->spread}};
  if (p.blush) j["blush"] = {{"lab", lab_json(p.blush->lab)}, {"opacity", p.blush->opacity}};
  if (p.foundation) j["foundation"] = {{"lab", lab_json(p.foundation->lab)}, {"coverage", p.foundation->coverage}};
  if (p.eyeliner)
    j["eyeliner"] = {{"lab", lab_json(p.eyeliner->lab)}, {"opacity", p.eyeliner->opacity},
                     {"thickness", p.eyeliner->thickness}};
  return j;
}

Palette random_palette(std::mt19937_64& rng, const Lab& skin) {
  auto r2 = [](double v) { return std::round(v * 100.0) / 100.0; };
  Palette p;
  // Redraw the (rare, ~1%) empty palette: a sample the augmenter says is made up must be.
  while (p.empty()) {
    if (chance(rng, kPLip)) {
      Lipstick l;
      l.lab = draw(rng, kLipFamilies);
      l.opacity = r2(uniform(rng, 0.5, 0.95));
      l.gloss = chance(rng, kPGloss);
      p.lip = l;
    }
    if (chance(rng, kPEyeshadow)) {
      Eyeshadow e;
      e.lab = draw(rng, kEyeshadowFamilies);
      e.opacity = r2(uniform(rng, 0.3, 0.8));
      e.spread = r2(uniform(rng, 0.0, 1.0));
      p.eyeshadow = e;
    }
    if (chance(rng, kPBlush)) {
      Blush b;
      b.lab = draw(rng, kBlushFamilies);
      b.opacity = r2(uniform(rng, 0.15, 0.45));
      p.blush = b;
    }
    if (chance(rng, kPFoundation)) {
      // Near the wearer's own tone: foundation is matched to the skin, a shade or so off,
      // slightly warmer or cooler.
      Foundation f;
      const Lab near{std::clamp(skin.L + uniform(rng, -4.0, 4.0), 5.0, 95.0), skin.a + uniform(rng, -2.0, 2.0),
                     skin.b + uniform(rng, -3.0, 3.0)};
      f.lab = displayable(near);
      f.coverage = r2(uniform(rng, 0.3, 0.8));
      p.foundation = f;
    }
    if (chance(rng, kPEyeliner)) {
      Eyeliner e;
      e.lab = draw(rng, kEyelinerFamilies);
      e.opacity = r2(uniform(rng, 0.7, 1.0));
      e.thickness = r2(uniform(rng, 0.0, 1.0));
      p.eyeliner = e;
    }
  }
  return p;
}

}  // namespace kohl::makeup
