// Image probing and hashing for the dataset importer, called once per file: read the
// bytes, check the file's structure and read its size from the header (never decoding
// pixels), and hash the bytes. Everything here parses untrusted files: every length is
// bounds-checked, nothing recurses, nothing allocates in proportion to a field value.
// Error messages never name the file: the caller prefixes its path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kohl/sdk/status.hpp"

namespace kohl::core {

// What probe_image reads from a header.
//   format:   "jpeg" | "png" | "bmp" | "webp"
//   channels: colour channels stored in the file, alpha included: 1 gray, 2 gray+alpha
//             (PNG), 3 colour, 4 colour+alpha (PNG RGBA or palette with tRNS, BMP with an
//             alpha mask, WebP with alpha) or CMYK/YCCK (JPEG with 4 components).
//             Palette images count as colour (3) unless the BMP palette is all gray (1).
struct ImageHeader {
  std::string format;
  int width = 0;
  int height = 0;
  int channels = 0;
};

// Largest width or height probe_image accepts; larger is refused as absurd.
inline constexpr int kMaxImageSide = 1 << 20;
// Default cap on width * height for check_pixel_cap (the importer's --max-pixels).
inline constexpr std::uint64_t kDefaultPixelCap = 64'000'000;

// Parses the header and checks the structure of an in-memory JPEG, PNG, BMP or WebP file
// without decoding pixels:
//   JPEG  SOI, one SOF0/1/2/9/10 frame header (size, components), the marker segments up to
//         SOS, and the end-of-image marker: the file ends with FFD9, or (data appended after
//         the image, e.g. a motion-photo video) a walk of the scans finds it.
//   PNG   signature, IHDR first (CRC checked), every chunk's length up to IEND (CRC checked
//         for every chunk but IDAT, whose CRC the decoder checks anyway).
//   BMP   file header, core/info/V4/V5 header, palette and pixel array inside the file.
//   WebP  RIFF/WEBP, every chunk inside the RIFF size, VP8 / VP8L / VP8X headers.
// Errors: "empty file", "unsupported image format (expected JPEG, PNG, BMP or WebP)",
// "truncated JPEG (no end-of-image marker)", "truncated PNG (...)", "corrupt ...",
// zero or absurd (over kMaxImageSide) dimensions.
sdk::Result<ImageHeader> probe_image(const std::uint8_t* data, std::size_t size);

// Refuses images over `cap` pixels: "image is W x H = N pixels, over the cap of CAP
// (raise it with --max-pixels)".
sdk::Status check_pixel_cap(const ImageHeader& h, std::uint64_t cap = kDefaultPixelCap);

// XXH3 128-bit hash of the bytes as 32 lowercase hex characters, high 64 bits first
// (the same digits as `xxhsum -H2` prints).
std::string content_hash(const std::uint8_t* data, std::size_t size);

// Reads a whole regular file into `out`, reusing its capacity. Errors (no path in them):
// "no such file", "is a directory", "permission denied", "not a regular file",
// "file is larger than N bytes", or the system's reason.
sdk::Status read_file_bytes(const std::string& path, std::vector<std::uint8_t>& out,
                            std::uint64_t max_bytes = 1ull << 30);

}  // namespace kohl::core
