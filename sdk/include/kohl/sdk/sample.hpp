// The Sample: one image with its annotations, as augmenters, backbones and evaluators
// see it. Every annotation names its layout or label map, so geometric transforms can
// move it with the pixels and remaps never guess a numbering.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <opencv2/core.hpp>

#include "kohl/sdk/params.hpp"

namespace kohl::sdk {

struct Landmarks {
  std::string layout;              // e.g. kLayoutDlib68
  std::vector<cv::Point2f> points; // pixel coordinates in the sample's image
};

struct RegionMask {
  std::string label_map;  // e.g. kLabelMapMt14
  cv::Mat labels;         // CV_8UC1, same size as the image; value = label index
};

struct Box {
  cv::Rect2f rect;    // pixels, x/y = top-left
  std::string label;  // e.g. "face"
  float score = 1.0f;
};

using AttributeValue = std::variant<double, std::string>;

struct Sample {
  std::string id;      // stable id of the image in its project
  cv::Mat image;       // CV_8UC3, BGR (OpenCV's order)
  std::map<std::string, std::string> labels;          // label set -> class name
  std::map<std::string, AttributeValue> attributes;   // numeric or categorical
  std::vector<Landmarks> landmarks;                   // one entry per face
  std::optional<RegionMask> mask;
  std::vector<Box> boxes;
  Json extra = Json::object();  // e.g. the palette a makeup augmenter applied (ground truth)
};

}  // namespace kohl::sdk
