// Image encoding and decoding (OpenCV imgcodecs), loaded on first use.
//
// Why not link OpenCV's imgcodecs into core: on Debian it pulls in ~120 libraries (GDAL,
// GDCM, HEIF, OpenEXR, ...) whose loading and static initialisers cost ~0.1 s at every
// start of `kohl`, and most commands never decode a pixel (an import only parses headers).
// So libkohl_codecs.so (host/codecs/) links imgcodecs, and these functions dlopen it the
// first time they are called: from ../lib next to the running binary, else by name.
// Thread-safe. Errors name the file (when there is one) and the reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>  // the IMREAD_* / IMWRITE_* constants only: no symbols are used

#include "kohl/sdk/status.hpp"

namespace kohl::core::codecs {

sdk::Result<cv::Mat> decode(const std::vector<std::uint8_t>& bytes, int flags = cv::IMREAD_COLOR);
sdk::Status encode(const std::string& ext, const cv::Mat& image, std::vector<std::uint8_t>& out,
                   const std::vector<int>& params = {});
sdk::Result<cv::Mat> read(const std::string& path, int flags = cv::IMREAD_COLOR);
sdk::Status write(const std::string& path, const cv::Mat& image, const std::vector<int>& params = {});

}  // namespace kohl::core::codecs
