#include "kohl/core/codecs.hpp"

#include <filesystem>
#include <mutex>

#include "kohl/core/load_beside.hpp"

namespace kohl::core::codecs {

namespace {

using DecodeFn = bool (*)(const std::vector<unsigned char>*, int, cv::Mat*, std::string*);
using EncodeFn = bool (*)(const std::string*, const cv::Mat*, std::vector<unsigned char>*, const std::vector<int>*,
                          std::string*);
using ReadFn = bool (*)(const std::string*, int, cv::Mat*, std::string*);
using WriteFn = bool (*)(const std::string*, const cv::Mat*, const std::vector<int>*, std::string*);

struct Library {
  DecodeFn decode = nullptr;
  EncodeFn encode = nullptr;
  ReadFn read = nullptr;
  WriteFn write = nullptr;
  std::string error;
};

const Library& library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    detail::load_entry_points("libkohl_codecs.so", "image codecs", lib.error, std::pair{"kohl_codecs_decode", &lib.decode},
                              std::pair{"kohl_codecs_encode", &lib.encode}, std::pair{"kohl_codecs_read", &lib.read},
                              std::pair{"kohl_codecs_write", &lib.write});
  });
  return lib;
}

}  // namespace

sdk::Result<cv::Mat> decode(const std::vector<std::uint8_t>& bytes, int flags) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  cv::Mat out;
  std::string error;
  if (!lib.decode(&bytes, flags, &out, &error)) return sdk::Status::invalid(error);
  return out;
}

sdk::Status encode(const std::string& ext, const cv::Mat& image, std::vector<std::uint8_t>& out,
                   const std::vector<int>& params) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  std::string error;
  if (!lib.encode(&ext, &image, &out, &params, &error)) return sdk::Status::error(error);
  return sdk::Status::ok();
}

sdk::Result<cv::Mat> read(const std::string& path, int flags) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return sdk::Status::io_error(path + ": no such file");
  cv::Mat out;
  std::string error;
  if (!lib.read(&path, flags, &out, &error)) return sdk::Status::io_error(path + ": " + error);
  return out;
}

sdk::Status write(const std::string& path, const cv::Mat& image, const std::vector<int>& params) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  std::string error;
  if (!lib.write(&path, &image, &params, &error)) return sdk::Status::io_error(path + ": " + error);
  return sdk::Status::ok();
}

}  // namespace kohl::core::codecs
