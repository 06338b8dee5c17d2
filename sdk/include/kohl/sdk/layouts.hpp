// Named landmark layouts and face-parsing label maps (facts: shared DOMAIN.md).
// Annotations always carry the name of their layout or label map; code that moves or
// remaps them looks the tables up here instead of assuming a numbering.
// Persisted: the names ("dlib-68", "mt-14", "celebamask-19").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kohl::sdk {

// ---- Landmark layouts -------------------------------------------------------------------
constexpr const char* kLayoutDlib68 = "dlib-68";

// dlib 68-point layout, 0-based: jaw 0-16, brows 17-21 / 22-26, nose bridge 27-30,
// nostrils 31-35, eyes 36-41 / 42-47, outer lip 48-59, inner lip 60-67.
// kDlib68Mirror[i] is the index point i becomes after a horizontal flip (a flipped left
// eye corner is a right eye corner).
constexpr std::array<int, 68> kDlib68Mirror = {
    16, 15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4,  3,  2,  1,  0,   // jaw
    26, 25, 24, 23, 22, 21, 20, 19, 18, 17,                              // brows
    27, 28, 29, 30,                                                      // nose bridge
    35, 34, 33, 32, 31,                                                  // nostrils
    45, 44, 43, 42, 47, 46,                                              // eye 36-41
    39, 38, 37, 36, 41, 40,                                              // eye 42-47
    54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,                      // outer lip
    64, 63, 62, 61, 60, 67, 66, 65,                                      // inner lip
};

struct LandmarkLayout {
  std::string name;
  int count = 0;
  std::vector<int> mirror;  // empty when the layout has no left/right pairs
};

// Known layouts; nullptr-like (count 0) for an unknown name.
inline LandmarkLayout landmark_layout(const std::string& name) {
  if (name == kLayoutDlib68) return {name, 68, std::vector<int>(kDlib68Mirror.begin(), kDlib68Mirror.end())};
  return {name, 0, {}};
}

// ---- Face-parsing label maps ------------------------------------------------------------
constexpr const char* kLabelMapMt14 = "mt-14";
constexpr const char* kLabelMapCelebA19 = "celebamask-19";

struct LabelMap {
  std::string name;
  std::vector<std::string> labels;  // index = label value
  std::vector<int> mirror;          // label value after a horizontal flip (left <-> right)
};

inline LabelMap label_map(const std::string& name) {
  if (name == kLabelMapMt14)
    return {name,
            {"background", "face_skin", "left_brow", "right_brow", "left_eye", "right_eye", "nose",
             "upper_lip", "teeth", "lower_lip", "hair", "left_ear", "right_ear", "neck"},
            {0, 1, 3, 2, 5, 4, 6, 7, 8, 9, 10, 12, 11, 13}};
  if (name == kLabelMapCelebA19)
    return {name,
            {"background", "skin", "l_brow", "r_brow", "l_eye", "r_eye", "eyeglasses", "l_ear", "r_ear",
             "earring", "nose", "mouth", "u_lip", "l_lip", "neck", "necklace", "cloth", "hair", "hat"},
            {0, 1, 3, 2, 5, 4, 6, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}};
  return {name, {}, {}};
}

// CelebAMask-HQ (19) -> MT (14), as PSGAN remaps it.
constexpr std::array<std::uint8_t, 19> kCelebA19ToMt14 = {0, 1, 2, 3, 4, 5, 0, 11, 12, 0,
                                                          6, 8, 7, 9, 13, 0, 0, 10, 0};

}  // namespace kohl::sdk
