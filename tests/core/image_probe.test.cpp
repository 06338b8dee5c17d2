// Image probing and hashing: headers of real files written by OpenCV, every prefix of them
// refused as truncated, other formats and garbage refused, the pixel cap, the content hash
// against values from an independent program, reading files, and 2000 random mutations
// that must never crash (run under ASan/UBSan and valgrind when this was written).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "kohl/core/image_probe.hpp"
#include "test_support.hpp"

using namespace kohl;
using Bytes = std::vector<std::uint8_t>;

namespace {

struct Sample {
  std::string label;
  Bytes bytes;
  std::string format;
  int width, height, channels;
};

// Smooth gradients plus noise: compresses like a photo rather than like static.
cv::Mat make_image(int w, int h, int type, std::uint64_t seed) {
  cv::Mat m(h, w, type);
  cv::RNG rng(seed);
  cv::Mat noise(h, w, type);
  const double top = CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255;
  rng.fill(noise, cv::RNG::UNIFORM, 0, top / 8);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < m.channels(); ++c) {
        const double v = top * 0.7 * (x + y * (c + 1)) / (w + h * (c + 1));
        if (CV_MAT_DEPTH(type) == CV_16U)
          m.ptr<std::uint16_t>(y)[x * m.channels() + c] = static_cast<std::uint16_t>(v);
        else
          m.ptr<std::uint8_t>(y)[x * m.channels() + c] = static_cast<std::uint8_t>(v);
      }
  return m + noise;
}

Bytes encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {}) {
  std::vector<uchar> buf;
  REQUIRE(cv::imencode(ext, m, buf, params));
  return Bytes(buf.begin(), buf.end());
}

std::vector<Sample> samples(int w, int h) {
  std::vector<Sample> s;
  const auto add = [&](std::string label, const std::string& ext, int type, std::vector<int> params,
                       std::string format, int channels) {
    label += " " + std::to_string(w) + "x" + std::to_string(h);
    s.push_back({label, encode(ext, make_image(w, h, type, s.size() + 1), params), format, w, h, channels});
  };
  add("jpeg baseline BGR", ".jpg", CV_8UC3, {cv::IMWRITE_JPEG_QUALITY, 90}, "jpeg", 3);
  add("jpeg baseline gray", ".jpg", CV_8UC1, {}, "jpeg", 1);
  add("jpeg progressive BGR", ".jpg", CV_8UC3, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}, "jpeg", 3);
  add("png gray", ".png", CV_8UC1, {}, "png", 1);
  add("png BGR", ".png", CV_8UC3, {}, "png", 3);
  add("png BGRA", ".png", CV_8UC4, {}, "png", 4);
  add("png 16-bit gray", ".png", CV_16UC1, {}, "png", 1);
  add("png 16-bit BGR", ".png", CV_16UC3, {}, "png", 3);
  add("png 16-bit BGRA", ".png", CV_16UC4, {}, "png", 4);
  add("bmp gray (8-bit gray palette)", ".bmp", CV_8UC1, {}, "bmp", 1);
  add("bmp BGR", ".bmp", CV_8UC3, {}, "bmp", 3);
  add("bmp BGRA (32-bit, no alpha mask)", ".bmp", CV_8UC4, {}, "bmp", 3);
  add("webp lossless BGR", ".webp", CV_8UC3, {}, "webp", 3);
  add("webp lossless BGRA", ".webp", CV_8UC4, {}, "webp", 4);
  add("webp lossy BGR", ".webp", CV_8UC3, {cv::IMWRITE_WEBP_QUALITY, 80}, "webp", 3);
  add("webp lossy BGRA (VP8X + ALPH)", ".webp", CV_8UC4, {cv::IMWRITE_WEBP_QUALITY, 80}, "webp", 4);
  return s;
}

std::string message_of(const Bytes& b) {
  auto r = core::probe_image(b.data(), b.size());
  return r.is_ok() ? std::string("ok") : r.status().message();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// PNG's CRC-32, bit by bit: independent of the table-driven one under test.
std::uint32_t slow_crc32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}
void put_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = static_cast<std::uint8_t>(v);
}
void put_le32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v), p[1] = v >> 8, p[2] = v >> 16, p[3] = v >> 24;
}
void append_png_chunk(Bytes& png, const char* type, const Bytes& data) {
  const std::size_t at = png.size();
  png.resize(at + 12 + data.size());
  put_be32(&png[at], static_cast<std::uint32_t>(data.size()));
  std::memcpy(&png[at + 4], type, 4);
  if (!data.empty()) std::memcpy(&png[at + 8], data.data(), data.size());
  put_be32(&png[at + 8 + data.size()], slow_crc32(&png[at + 4], 4 + data.size()));
}
// A PNG's IHDR with a new size, its CRC recomputed.
Bytes with_png_size(Bytes png, std::uint32_t w, std::uint32_t h) {
  put_be32(&png[16], w);
  put_be32(&png[20], h);
  put_be32(&png[29], slow_crc32(&png[12], 17));
  return png;
}

}  // namespace

TEST_CASE("probe_image reads size and channels of JPEG, PNG, BMP and WebP written by OpenCV", "[image_probe]") {
  for (auto [w, h] : {std::pair{1, 1}, {37, 19}, {19, 37}, {256, 256}, {361, 361}}) {
    for (const auto& s : samples(w, h)) {
      INFO(s.label << " (" << s.bytes.size() << " bytes)");
      auto r = core::probe_image(s.bytes.data(), s.bytes.size());
      REQUIRE(r.is_ok());
      CHECK(r->format == s.format);
      CHECK(r->width == s.width);
      CHECK(r->height == s.height);
      CHECK(r->channels == s.channels);
      CHECK(core::check_pixel_cap(*r).is_ok());
      // The decoder agrees on the size.
      const cv::Mat decoded = cv::imdecode(cv::Mat(1, static_cast<int>(s.bytes.size()), CV_8U,
                                                   const_cast<std::uint8_t*>(s.bytes.data())),
                                           cv::IMREAD_UNCHANGED);
      CHECK(decoded.cols == s.width);
      CHECK(decoded.rows == s.height);
    }
  }
}

TEST_CASE("the samples are what they claim: progressive JPEG, lossy and lossless WebP", "[image_probe]") {
  const auto s = samples(37, 19);
  const auto has = [](const Bytes& b, std::initializer_list<std::uint8_t> pat) {
    return std::search(b.begin(), b.end(), pat.begin(), pat.end()) != b.end();
  };
  for (const auto& x : s) {
    INFO(x.label);
    if (contains(x.label, "progressive")) CHECK(has(x.bytes, {0xFF, 0xC2}));
    if (contains(x.label, "jpeg baseline")) CHECK(has(x.bytes, {0xFF, 0xC0}));
    if (contains(x.label, "webp lossless")) CHECK(std::memcmp(&x.bytes[12], "VP8L", 4) == 0);
    if (contains(x.label, "webp lossy BGR ")) CHECK(std::memcmp(&x.bytes[12], "VP8 ", 4) == 0);
    if (contains(x.label, "VP8X")) CHECK(std::memcmp(&x.bytes[12], "VP8X", 4) == 0);
  }
}

TEST_CASE("every prefix of a real image is refused as truncated", "[image_probe]") {
  for (auto [w, h] : {std::pair{1, 1}, {37, 19}}) {
    for (const auto& s : samples(w, h)) {
      // RIFF with fewer than 9 bytes cannot be told from other RIFF files.
      const std::size_t from = s.format == "webp" ? 9 : s.format == "png" ? 4 : 2;
      for (std::size_t cut = from; cut < s.bytes.size(); ++cut) {
        const Bytes prefix(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        const auto m = message_of(prefix);
        INFO(s.label << " cut to " << cut << " of " << s.bytes.size() << " bytes: " << m);
        REQUIRE(contains(m, "truncated"));
      }
    }
  }
  // Several cut points of larger files.
  for (const auto& s : samples(361, 361)) {
    for (std::size_t cut : {s.bytes.size() - 1, s.bytes.size() - 2, s.bytes.size() - 100, s.bytes.size() / 2,
                            s.bytes.size() / 3, std::size_t{100}, std::size_t{30}}) {
      const Bytes prefix(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(cut));
      INFO(s.label << " cut to " << cut);
      CHECK(contains(message_of(prefix), "truncated"));
    }
  }
}

TEST_CASE("a JPEG without its last 2 bytes and a PNG without IEND are truncated", "[image_probe]") {
  const auto jpg = encode(".jpg", make_image(256, 256, CV_8UC3, 7));
  const auto progressive = encode(".jpg", make_image(256, 256, CV_8UC3, 7), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  for (const auto* j : {&jpg, &progressive}) {
    REQUIRE(message_of(*j) == "ok");
    CHECK(message_of(Bytes(j->begin(), j->end() - 2)) == "truncated JPEG (no end-of-image marker)");
    CHECK(message_of(Bytes(j->begin(), j->end() - 1)) == "truncated JPEG (no end-of-image marker)");
    // Garbage appended to a cut-off JPEG does not hide the missing EOI.
    Bytes cut_then_junk(j->begin(), j->end() - 2);
    cut_then_junk.insert(cut_then_junk.end(), {0x00, 0x11, 0x22, 0xFF, 0x00, 0x33});
    CHECK(message_of(cut_then_junk) == "truncated JPEG (no end-of-image marker)");
    // Data appended after a complete JPEG (a motion photo's video, padding) is fine.
    Bytes appended = *j;
    for (int i = 0; i < 5000; ++i) appended.push_back(static_cast<std::uint8_t>(i * 31));
    CHECK(message_of(appended) == "ok");
  }

  const auto png = encode(".png", make_image(256, 256, CV_8UC3, 8));
  REQUIRE(std::memcmp(&png[png.size() - 8], "IEND", 4) == 0);
  CHECK(message_of(Bytes(png.begin(), png.end() - 12)) == "truncated PNG (no IEND chunk)");
  CHECK(message_of(Bytes(png.begin(), png.end() - 4)) == "truncated PNG (chunk 'IEND' runs past the end of the file)");
  CHECK(contains(message_of(Bytes(png.begin(), png.begin() + 5000)), "truncated PNG (chunk 'IDAT'"));
  // Bytes after IEND are ignored, as decoders do.
  Bytes after_iend = png;
  after_iend.insert(after_iend.end(), 100, 0xAB);
  CHECK(message_of(after_iend) == "ok");
}

TEST_CASE("other formats, garbage, text and empty input are refused", "[image_probe]") {
  const std::string unsupported = "unsupported image format (expected JPEG, PNG, BMP or WebP)";
  CHECK(message_of({}) == "empty file");
  CHECK(core::probe_image(nullptr, 0).status().message() == "empty file");

  const std::string text = "name,label\nface_001.jpg,oily\n";
  CHECK(message_of(Bytes(text.begin(), text.end())) == unsupported);
  const std::string gif = "GIF89a\x25\x00\x13\x00\x80\x00\x00";
  CHECK(message_of(Bytes(gif.begin(), gif.end())) == unsupported);
  const std::string wav = std::string("RIFF\x24\x00\x00\x00WAVEfmt ", 16) + std::string(20, '\0');
  CHECK(message_of(Bytes(wav.begin(), wav.end())) == unsupported);
  CHECK(message_of({0xFF}) == unsupported);
  CHECK(message_of({'B'}) == unsupported);

  std::mt19937 rng(42);
  int refused = 0;
  for (int i = 0; i < 200; ++i) {
    Bytes junk(1 + rng() % 4096);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    if (junk[0] == 0xFF || junk[0] == 0x89 || junk[0] == 'B' || junk[0] == 'R') junk[0] = 0x00;
    refused += message_of(junk) == unsupported;
  }
  CHECK(refused == 200);

  // Broken structure inside a recognised format.
  auto png = encode(".png", make_image(16, 16, CV_8UC3, 1));
  Bytes bad_sig = png;
  bad_sig[4] = '\n';  // CRLF -> LF, as a text-mode transfer does
  CHECK(contains(message_of(bad_sig), "corrupt PNG signature"));
  Bytes bad_crc = png;
  bad_crc[18] ^= 1;  // width, without fixing the CRC
  CHECK(message_of(bad_crc) == "corrupt PNG (CRC mismatch in chunk 'IHDR')");
}

TEST_CASE("hand-made files: palette PNG with tRNS, BMP with an alpha mask, top-down BMP", "[image_probe]") {
  // A 1x1 palette PNG with transparency; its IDAT is a stored zlib block.
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  append_png_chunk(png, "IHDR", {0, 0, 0, 1, 0, 0, 0, 1, 8, 3, 0, 0, 0});
  append_png_chunk(png, "PLTE", {10, 20, 30});
  append_png_chunk(png, "tRNS", {128});
  append_png_chunk(png, "IDAT", {0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01});
  append_png_chunk(png, "IEND", {});
  auto r = core::probe_image(png.data(), png.size());
  REQUIRE(r.is_ok());
  CHECK(r->channels == 4);
  CHECK(cv::imdecode(png, cv::IMREAD_UNCHANGED).cols == 1);

  // Palette without PLTE; an unknown critical chunk.
  Bytes no_plte = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  append_png_chunk(no_plte, "IHDR", {0, 0, 0, 1, 0, 0, 0, 1, 8, 3, 0, 0, 0});
  Bytes unknown = no_plte;
  append_png_chunk(no_plte, "IDAT", {0x78, 0x01});
  append_png_chunk(no_plte, "IEND", {});
  CHECK(contains(message_of(no_plte), "without a PLTE chunk"));
  append_png_chunk(unknown, "QQQQ", {1, 2, 3});
  CHECK(contains(message_of(unknown), "unknown critical chunk 'QQQQ'"));

  // A 2x2 top-down 32-bit BMP with a V5 header and an alpha mask.
  Bytes bmp(14 + 124 + 16, 0);
  bmp[0] = 'B', bmp[1] = 'M';
  put_le32(&bmp[2], static_cast<std::uint32_t>(bmp.size()));
  put_le32(&bmp[10], 14 + 124);
  put_le32(&bmp[14], 124);
  put_le32(&bmp[18], 2);
  put_le32(&bmp[22], static_cast<std::uint32_t>(-2));
  bmp[26] = 1, bmp[28] = 32;
  put_le32(&bmp[30], 3);  // BI_BITFIELDS
  put_le32(&bmp[54], 0x00FF0000u), put_le32(&bmp[58], 0x0000FF00u), put_le32(&bmp[62], 0x000000FFu);
  put_le32(&bmp[66], 0xFF000000u);
  r = core::probe_image(bmp.data(), bmp.size());
  REQUIRE(r.is_ok());
  CHECK(r->width == 2);
  CHECK(r->height == 2);
  CHECK(r->channels == 4);
  CHECK(cv::imdecode(bmp, cv::IMREAD_UNCHANGED).rows == 2);
  Bytes short_bmp(bmp.begin(), bmp.end() - 1);
  put_le32(&short_bmp[2], static_cast<std::uint32_t>(short_bmp.size()));
  CHECK(contains(message_of(short_bmp), "truncated BMP (pixel data needs 16 bytes"));

  // OpenCV's bottom-up BMP turned top-down.
  auto cvbmp = encode(".bmp", make_image(37, 19, CV_8UC3, 3));
  put_le32(&cvbmp[22], static_cast<std::uint32_t>(-19));
  r = core::probe_image(cvbmp.data(), cvbmp.size());
  REQUIRE(r.is_ok());
  CHECK(r->height == 19);
  put_le32(&cvbmp[22], 0x80000000u);  // INT32_MIN
  CHECK(contains(message_of(cvbmp), "absurd"));
}

TEST_CASE("zero and absurd sizes are refused; the pixel cap says how to raise it", "[image_probe]") {
  const auto png = encode(".png", make_image(1, 1, CV_8UC3, 2));

  auto huge = with_png_size(png, 100000, 100000);
  auto r = core::probe_image(huge.data(), huge.size());
  REQUIRE(r.is_ok());  // structurally valid: only the header claims a huge size
  CHECK(r->width == 100000);
  CHECK(r->height == 100000);
  CHECK(core::check_pixel_cap(*r).message() ==
        "image is 100000 x 100000 = 10000000000 pixels, over the cap of 64000000 (raise it with --max-pixels)");
  CHECK(core::check_pixel_cap(*r, 10'000'000'000ull).is_ok());

  core::ImageHeader at_cap{"png", 8000, 8000, 3};
  CHECK(core::check_pixel_cap(at_cap).is_ok());
  at_cap.width = 8001;
  CHECK(core::check_pixel_cap(at_cap).message() ==
        "image is 8001 x 8000 = 64008000 pixels, over the cap of 64000000 (raise it with --max-pixels)");
  CHECK(core::check_pixel_cap(at_cap, 1000).message() ==
        "image is 8001 x 8000 = 64008000 pixels, over the cap of 1000 (raise it with --max-pixels)");

  CHECK(contains(message_of(with_png_size(png, 0, 5)), "PNG has no pixels (size 0 x 5)"));
  CHECK(contains(message_of(with_png_size(png, 5, 0)), "no pixels"));
  CHECK(contains(message_of(with_png_size(png, 1u << 21, 5)), "absurd"));
  CHECK(contains(message_of(with_png_size(png, 0x80000000u, 5)), "corrupt PNG (size over"));

  // JPEG height 0 (a DNL marker's job, which Kohl does not support).
  auto jpg = encode(".jpg", make_image(37, 19, CV_8UC3, 2));
  for (std::size_t i = 2; i + 9 < jpg.size(); ++i)
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
      jpg[i + 5] = 0, jpg[i + 6] = 0;
      break;
    }
  CHECK(contains(message_of(jpg), "JPEG has no pixels (size 37 x 0)"));

  auto bmp = encode(".bmp", make_image(37, 19, CV_8UC3, 2));
  put_le32(&bmp[18], 0);
  CHECK(contains(message_of(bmp), "BMP has no pixels"));
}

TEST_CASE("content_hash is XXH3-128 as 32 lowercase hex digits", "[image_probe]") {
  // Values printed by a separate C program: XXH128_canonicalFromHash(XXH3_128bits(...)),
  // i.e. what `xxhsum -H2` prints.
  CHECK(core::content_hash(nullptr, 0) == "99aa06d3014798d86001c324468d497f");
  const std::string s = "Kohl beauty-AI workbench\n";
  CHECK(core::content_hash(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) ==
        "22bdab98e49176450cf5612d9d8cec0b");
  Bytes b(1000);
  for (int i = 0; i < 1000; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const auto h = core::content_hash(b.data(), b.size());
  CHECK(h == "6bcc7eff62da44c26c4f14bd97bd9e82");
  CHECK(core::content_hash(b.data(), b.size()) == h);  // stable

  REQUIRE(h.size() == 32);
  for (char c : h) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
  for (std::size_t i : {std::size_t{0}, std::size_t{500}, std::size_t{999}}) {
    Bytes changed = b;
    changed[i] ^= 0x01;
    CHECK(core::content_hash(changed.data(), changed.size()) != h);
  }
}

TEST_CASE("read_file_bytes reads whole files and names what went wrong without the path", "[image_probe]") {
  test::ScratchDir dir("image_probe");
  const auto jpg = encode(".jpg", make_image(37, 19, CV_8UC3, 5));
  const auto path = (dir / "face.jpg").string();
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(jpg.data()), jpg.size());

  Bytes out(100000, 0xEE);  // a bigger buffer from a previous file
  const auto capacity = out.capacity();
  REQUIRE(core::read_file_bytes(path, out).is_ok());
  CHECK(out == jpg);
  CHECK(out.capacity() == capacity);
  CHECK(core::probe_image(out.data(), out.size()).is_ok());

  const auto empty = (dir / "empty.png").string();
  std::ofstream(empty, std::ios::binary).flush();
  REQUIRE(core::read_file_bytes(empty, out).is_ok());
  CHECK(out.empty());

  const auto failure = [&](const std::string& p, std::uint64_t max = 1ull << 30) {
    Bytes o;
    auto s = core::read_file_bytes(p, o, max);
    CHECK_FALSE(s.is_ok());
    CHECK(s.code() == sdk::StatusCode::kIoError);
    CHECK_FALSE(contains(s.message(), dir.path().string()));
    return s.message();
  };
  CHECK(failure((dir / "missing.jpg").string()) == "no such file");
  CHECK(contains(failure(path + "/inside.jpg"), "no such file"));
  CHECK(failure(dir.path().string()) == "is a directory");
  CHECK(failure(path, 100) == "file is larger than 100 bytes");
  const auto fifo = (dir / "pipe.jpg").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(failure(fifo) == "not a regular file");
  if (::geteuid() != 0) {  // root reads anything
    ::chmod(path.c_str(), 0);
    CHECK(failure(path) == "permission denied");
    ::chmod(path.c_str(), 0600);
  }
}

TEST_CASE("2000 random mutations of real images never crash the probe", "[image_probe]") {
  std::vector<Bytes> seeds;
  for (const auto& s : samples(37, 19))
    if (!contains(s.label, "16-bit")) seeds.push_back(s.bytes);
  for (const auto& s : samples(64, 48))
    if (contains(s.label, "progressive") || contains(s.label, "VP8X") || contains(s.label, "bmp gray"))
      seeds.push_back(s.bytes);

  std::mt19937 rng(20240611);
  const auto pick = [&](std::size_t n) { return n ? rng() % n : 0; };
  int accepted = 0;
  for (int i = 0; i < 2000; ++i) {
    Bytes b = seeds[i % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      switch (rng() % 7) {
        case 0: b[pick(b.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;
        case 1: b[pick(b.size())] = static_cast<std::uint8_t>(rng()); break;
        case 2: {  // an interesting 32-bit value anywhere, lengths included
          static const std::uint32_t kValues[] = {0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x10000};
          if (b.size() >= 4) put_be32(&b[pick(b.size() - 3)], kValues[rng() % 7]);
          break;
        }
        case 3: {  // an interesting byte near the start, where the headers are
          static const std::uint8_t kBytes[] = {0x00, 0xFF, 0x7F, 0x80, 0xD9, 0xDA, 0xC0};
          b[pick(std::min<std::size_t>(b.size(), 64))] = kBytes[rng() % 7];
          break;
        }
        case 4: b.resize(pick(b.size() + 1)); break;
        case 5: b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), 1 + rng() % 16,
                         static_cast<std::uint8_t>(rng()));
          break;
        case 6: {
          const auto at = pick(b.size()), len = pick(std::min<std::size_t>(b.size() - at, 64) + 1);
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + len));
          break;
        }
      }
    }
    // An exact-size heap copy, so that AddressSanitizer sees any read past the end.
    std::unique_ptr<std::uint8_t[]> exact(b.empty() ? nullptr : new std::uint8_t[b.size()]);
    if (!b.empty()) std::memcpy(exact.get(), b.data(), b.size());
    auto r = core::probe_image(exact.get(), b.size());
    if (r.is_ok()) {
      ++accepted;
      CHECK((r->format == "jpeg" || r->format == "png" || r->format == "bmp" || r->format == "webp"));
      CHECK(r->width >= 1);
      CHECK(r->width <= core::kMaxImageSide);
      CHECK(r->height >= 1);
      CHECK(r->height <= core::kMaxImageSide);
      CHECK(r->channels >= 1);
      CHECK(r->channels <= 4);
      (void)core::check_pixel_cap(*r);
    } else {
      CHECK_FALSE(r.status().message().empty());
    }
    CHECK(core::content_hash(exact.get(), b.size()).size() == 32);
  }
  // Some mutations land in pixel data and leave the structure valid, most do not.
  CHECK(accepted > 0);
  CHECK(accepted < 2000);
}

// Throughput, not run by default: kohl_tests "[image_probe_bench]".
TEST_CASE("probe and hash throughput on 2000 256x256 JPEGs", "[.][image_probe_bench]") {
  using clock = std::chrono::steady_clock;
  const auto ns_per = [](clock::duration d, std::size_t n) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / n;
  };
  std::vector<Bytes> jpgs;
  std::size_t total = 0;
  for (int i = 0; i < 2000; ++i) {
    std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, 90};
    if (i % 4 == 0) params.insert(params.end(), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
    jpgs.push_back(encode(".jpg", make_image(256, 256, CV_8UC3, i), params));
    total += jpgs.back().size();
  }
  std::size_t sink = 0;
  auto t0 = clock::now();
  for (int rep = 0; rep < 5; ++rep)
    for (const auto& j : jpgs) sink += core::probe_image(j.data(), j.size())->width;
  auto t1 = clock::now();
  for (int rep = 0; rep < 5; ++rep)
    for (const auto& j : jpgs) sink += core::content_hash(j.data(), j.size())[0];
  auto t2 = clock::now();
  WARN("2000 JPEGs in memory, mean " << total / 2000 << " bytes: probe " << ns_per(t1 - t0, 10000)
                                     << " ns/image, hash " << ns_per(t2 - t1, 10000) << " ns/image");

  // From files: the bare loop (read, header, hash) against read_file_bytes + probe + hash.
  test::ScratchDir dir("image_probe_bench");
  for (std::size_t i = 0; i < jpgs.size(); ++i)
    std::ofstream((dir / (std::to_string(i) + ".jpg")).string(), std::ios::binary)
        .write(reinterpret_cast<const char*>(jpgs[i].data()), jpgs[i].size());
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < jpgs.size(); ++i) paths.push_back((dir / (std::to_string(i) + ".jpg")).string());
  double bare = 1e30, kohl = 1e30;
  Bytes buf;
  for (int rep = 0; rep < 5; ++rep) {
    auto a = clock::now();
    for (const auto& p : paths) {  // bare: read, find SOF0/2 and its size, hash
      std::ifstream in(p, std::ios::binary | std::ios::ate);
      const auto n = static_cast<std::size_t>(in.tellg());
      in.seekg(0);
      std::vector<char> raw(n);
      in.read(raw.data(), static_cast<std::streamsize>(n));
      const auto* u = reinterpret_cast<const std::uint8_t*>(raw.data());
      for (std::size_t k = 2; k + 9 < n; k += 2 + (u[k + 2] << 8 | u[k + 3]))
        if (u[k + 1] == 0xC0 || u[k + 1] == 0xC2) {
          sink += u[k + 7] << 8 | u[k + 8];
          break;
        }
      sink += core::content_hash(u, n)[0];
    }
    auto b = clock::now();
    for (const auto& p : paths) {
      REQUIRE(core::read_file_bytes(p, buf).is_ok());
      auto r = core::probe_image(buf.data(), buf.size());
      sink += r->width + core::content_hash(buf.data(), buf.size())[0];
    }
    auto c = clock::now();
    bare = std::min(bare, ns_per(b - a, paths.size()));
    kohl = std::min(kohl, ns_per(c - b, paths.size()));
  }
  WARN("from files (best of 5): bare loop " << bare << " ns/image, Kohl " << kohl << " ns/image, ratio "
                                            << kohl / bare);
  CHECK(sink != 0);
}
