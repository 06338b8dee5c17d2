// libkohl_codecs.so: the one place Kohl's host links OpenCV's imgcodecs. Loaded by
// kohl::core::codecs on first use (see kohl/core/codecs.hpp for why). The entry points are
// C symbols taking C++ types: host and this library are built together, with one compiler.
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#define KOHL_CODECS_API extern "C" __attribute__((visibility("default")))

KOHL_CODECS_API bool kohl_codecs_decode(const std::vector<unsigned char>* bytes, int flags, cv::Mat* out,
                                        std::string* error) {
  try {
    *out = cv::imdecode(*bytes, flags);
    if (out->empty()) *error = "cannot decode image (corrupt or unsupported format)";
    return !out->empty();
  } catch (const std::exception& e) {
    *error = std::string("cannot decode image: ") + e.what();
    return false;
  }
}

KOHL_CODECS_API bool kohl_codecs_encode(const std::string* ext, const cv::Mat* image, std::vector<unsigned char>* out,
                                        const std::vector<int>* params, std::string* error) {
  try {
    if (cv::imencode(*ext, *image, *out, *params)) return true;
    *error = "cannot encode image as " + *ext;
  } catch (const std::exception& e) {
    *error = "cannot encode image as " + *ext + ": " + e.what();
  }
  return false;
}

KOHL_CODECS_API bool kohl_codecs_read(const std::string* path, int flags, cv::Mat* out, std::string* error) {
  try {
    *out = cv::imread(*path, flags);
    if (out->empty()) *error = "cannot decode image (corrupt or unsupported format)";
    return !out->empty();
  } catch (const std::exception& e) {
    *error = std::string("cannot decode image: ") + e.what();
    return false;
  }
}

KOHL_CODECS_API bool kohl_codecs_write(const std::string* path, const cv::Mat* image, const std::vector<int>* params,
                                       std::string* error) {
  try {
    if (cv::imwrite(*path, *image, *params)) return true;
    *error = "cannot write image";
  } catch (const std::exception& e) {
    *error = std::string("cannot write image: ") + e.what();
  }
  return false;
}
