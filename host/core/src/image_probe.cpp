#include "kohl/core/image_probe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace kohl::core {

namespace {

using sdk::Status;
using Bytes = const std::uint8_t*;

// ---- Little helpers: every caller has checked that the bytes exist. ----
std::uint32_t be16(Bytes p) { return static_cast<std::uint32_t>(p[0]) << 8 | p[1]; }
std::uint32_t be32(Bytes p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
std::uint32_t le16(Bytes p) { return static_cast<std::uint32_t>(p[1]) << 8 | p[0]; }
std::uint32_t le24(Bytes p) {
  return static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[1]) << 8 | p[0];
}
std::uint32_t le32(Bytes p) { return static_cast<std::uint32_t>(p[3]) << 24 | le24(p); }

Status bad(std::string message) { return Status::invalid(std::move(message)); }

// Chunk types and other four-character codes, printable in messages whatever the bytes.
std::string fourcc(Bytes p) {
  std::string s(4, '?');
  for (int i = 0; i < 4; ++i)
    if (p[i] >= 0x20 && p[i] < 0x7f) s[i] = static_cast<char>(p[i]);
  return s;
}

// Zero, negative or absurd sizes are refused here, before anything multiplies them.
Status check_size(const char* format, std::int64_t w, std::int64_t h) {
  if (w <= 0 || h <= 0)
    return bad(std::string(format) + " has no pixels (size " + std::to_string(w) + " x " + std::to_string(h) + ")");
  if (w > kMaxImageSide || h > kMaxImageSide)
    return bad(std::string(format) + " size " + std::to_string(w) + " x " + std::to_string(h) +
               " is absurd (over " + std::to_string(kMaxImageSide) + " pixels on a side)");
  return Status::ok();
}

ImageHeader header(const char* format, std::int64_t w, std::int64_t h, int channels) {
  ImageHeader out;
  out.format = format;
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  out.channels = channels;
  return out;
}

// ---- CRC-32 (PNG's, reflected 0xEDB88320), slicing by 8. ----
struct CrcTables {
  std::uint32_t t[8][256];
};
constexpr CrcTables make_crc_tables() {
  CrcTables c{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t v = i;
    for (int k = 0; k < 8; ++k) v = (v & 1) ? 0xEDB88320u ^ (v >> 1) : v >> 1;
    c.t[0][i] = v;
  }
  for (int s = 1; s < 8; ++s)
    for (int i = 0; i < 256; ++i) c.t[s][i] = (c.t[s - 1][i] >> 8) ^ c.t[0][c.t[s - 1][i] & 0xff];
  return c;
}
constexpr CrcTables kCrc = make_crc_tables();

std::uint32_t crc32(Bytes p, std::size_t n) {
  std::uint32_t crc = 0xFFFFFFFFu;
  const auto& t = kCrc.t;
  while (n >= 8) {
    const std::uint32_t a = le32(p) ^ crc;
    const std::uint32_t b = le32(p + 4);
    crc = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^ t[4][a >> 24] ^
          t[3][b & 0xff] ^ t[2][(b >> 8) & 0xff] ^ t[1][(b >> 16) & 0xff] ^ t[0][b >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// ---- JPEG ----

bool is_standalone_jpeg_marker(std::uint8_t m) { return (m >= 0xD0 && m <= 0xD7) || m == 0x01; }

// After the first SOS: look for EOI by walking the entropy-coded data (where FF is always
// followed by 00, a restart marker or fill bytes) and skipping the marker segments between
// scans. Linear, no allocation; only used when the file does not simply end with FFD9.
bool find_jpeg_eoi(Bytes d, std::size_t n, std::size_t pos) {
  while (pos + 1 < n) {
    const void* hit = std::memchr(d + pos, 0xFF, n - pos - 1);
    if (!hit) return false;
    const std::size_t q = static_cast<std::size_t>(static_cast<Bytes>(hit) - d);
    const std::uint8_t m = d[q + 1];
    if (m == 0xD9) return true;
    if (m == 0x00 || m == 0xFF || is_standalone_jpeg_marker(m) || m == 0xD8) {
      pos = q + 1;
      continue;
    }
    if (n - q < 4) return false;
    const std::size_t len = be16(d + q + 2);
    if (len < 2 || len > n - q - 2) return false;
    pos = q + 2 + len;
  }
  return false;
}

sdk::Result<ImageHeader> probe_jpeg(Bytes d, std::size_t n) {
  const auto cut_headers = [] { return bad("truncated JPEG (the file ends inside the headers, before the image data)"); };
  std::size_t pos = 2;  // after SOI
  bool have_frame = false;
  std::int64_t w = 0, h = 0;
  int channels = 0;
  for (;;) {
    if (pos >= n) return cut_headers();
    if (d[pos] != 0xFF) return bad("corrupt JPEG (no marker at byte " + std::to_string(pos) + ")");
    while (pos < n && d[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) return cut_headers();
    const std::uint8_t m = d[pos++];
    if (is_standalone_jpeg_marker(m)) continue;
    if (m == 0x00 || m == 0xD8) return bad("corrupt JPEG (unexpected marker in the headers)");
    if (m == 0xD9) return bad("corrupt JPEG (end-of-image marker before any image data)");
    if (n - pos < 2) return cut_headers();
    const std::size_t len = be16(d + pos);
    if (len < 2) return bad("corrupt JPEG (marker segment of length " + std::to_string(len) + ")");
    if (len > n - pos) return cut_headers();
    Bytes seg = d + pos + 2;
    const std::size_t seg_len = len - 2;

    const bool is_frame = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (is_frame) {
      // Huffman baseline/extended/progressive and their arithmetic-coded twins; lossless and
      // hierarchical frames are not decoded by Kohl's JPEG library.
      if (m != 0xC0 && m != 0xC1 && m != 0xC2 && m != 0xC9 && m != 0xCA)
        return Status::unsupported("unsupported JPEG coding (lossless or hierarchical, SOF" +
                                   std::to_string(m - 0xC0) + ")");
      if (have_frame) return bad("corrupt JPEG (more than one frame header)");
      if (seg_len < 6) return bad("corrupt JPEG (frame header too short)");
      const int precision = seg[0];
      h = be16(seg + 1);
      w = be16(seg + 3);
      const int nf = seg[5];
      if (seg_len != 6 + 3 * static_cast<std::size_t>(nf))
        return bad("corrupt JPEG (frame header length does not match its " + std::to_string(nf) + " components)");
      if (precision != 8) return Status::unsupported("unsupported JPEG precision (" + std::to_string(precision) + " bits)");
      if (nf != 1 && nf != 3 && nf != 4)
        return Status::unsupported("unsupported JPEG with " + std::to_string(nf) + " components");
      for (int c = 0; c < nf; ++c) {
        const int hs = seg[6 + 3 * c + 1] >> 4, vs = seg[6 + 3 * c + 1] & 15;
        if (hs < 1 || hs > 4 || vs < 1 || vs > 4) return bad("corrupt JPEG (bad sampling factors)");
      }
      if (auto s = check_size("JPEG", w, h); !s) return s;
      channels = nf;
      have_frame = true;
    } else if (m == 0xDA) {  // SOS: the image data starts after this segment
      if (!have_frame) return bad("corrupt JPEG (image data before the frame header)");
      if (seg_len < 1 || seg[0] < 1 || seg[0] > 4 || seg_len != 4 + 2 * static_cast<std::size_t>(seg[0]))
        return bad("corrupt JPEG (bad start-of-scan header)");
      pos += len;
      break;
    }
    pos += len;
  }
  // The image ends with EOI: the usual case is O(1); data appended after EOI costs a walk.
  if (n - pos >= 2 && d[n - 2] == 0xFF && d[n - 1] == 0xD9) return header("jpeg", w, h, channels);
  if (find_jpeg_eoi(d, n, pos)) return header("jpeg", w, h, channels);
  return bad("truncated JPEG (no end-of-image marker)");
}

// ---- PNG ----

// IDAT holds nearly all of a PNG's bytes and the decoder checks its CRC when it inflates;
// checking it here too would cost about as much as the content hash (see the tests).
constexpr bool kCheckIdatCrc = false;

bool is_png_type(Bytes t, const char* name) { return std::memcmp(t, name, 4) == 0; }

sdk::Result<ImageHeader> probe_png(Bytes d, std::size_t n) {
  static const std::uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (n < 8) return bad("truncated PNG (signature)");
  if (std::memcmp(d, kSig, 8) != 0)
    return bad("corrupt PNG signature (line endings changed by a text-mode transfer?)");
  if (n < 8 + 12 + 13) return bad("truncated PNG (IHDR chunk)");
  if (be32(d + 8) != 13 || !is_png_type(d + 12, "IHDR")) return bad("corrupt PNG (the first chunk is not IHDR)");
  if (crc32(d + 12, 4 + 13) != be32(d + 29)) return bad("corrupt PNG (CRC mismatch in chunk 'IHDR')");
  const std::uint32_t w = be32(d + 16), h = be32(d + 20);
  if (w > 0x7FFFFFFFu || h > 0x7FFFFFFFu) return bad("corrupt PNG (size over 2^31 - 1)");
  if (auto s = check_size("PNG", w, h); !s) return s;
  const int depth = d[24], colour = d[25];
  bool depth_ok = false;
  int channels = 0;
  switch (colour) {
    case 0: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16; channels = 1; break;
    case 2: depth_ok = depth == 8 || depth == 16; channels = 3; break;
    case 3: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8; channels = 3; break;
    case 4: depth_ok = depth == 8 || depth == 16; channels = 2; break;
    case 6: depth_ok = depth == 8 || depth == 16; channels = 4; break;
    default: return bad("corrupt PNG (colour type " + std::to_string(colour) + ")");
  }
  if (!depth_ok)
    return bad("corrupt PNG (bit depth " + std::to_string(depth) + " with colour type " + std::to_string(colour) + ")");
  if (d[26] != 0 || d[27] != 0 || d[28] > 1) return bad("corrupt PNG (compression, filter or interlace method)");

  bool have_plte = false, have_idat = false, have_trns = false;
  std::size_t pos = 33;
  for (;;) {
    if (n - pos < 12) {
      if (n - pos < 8) return bad("truncated PNG (no IEND chunk)");
      return bad("truncated PNG (chunk '" + fourcc(d + pos + 4) + "' runs past the end of the file)");
    }
    const std::uint32_t len = be32(d + pos);
    Bytes type = d + pos + 4;
    for (int i = 0; i < 4; ++i)
      if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z')))
        return bad("corrupt PNG (invalid chunk type at byte " + std::to_string(pos + 4) + ")");
    if (len > 0x7FFFFFFFu) return bad("corrupt PNG (chunk '" + fourcc(type) + "' length " + std::to_string(len) + ")");
    if (len > n - pos - 12) return bad("truncated PNG (chunk '" + fourcc(type) + "' runs past the end of the file)");
    const bool idat = is_png_type(type, "IDAT");
    if ((kCheckIdatCrc || !idat) && crc32(type, 4 + static_cast<std::size_t>(len)) != be32(type + 4 + len))
      return bad("corrupt PNG (CRC mismatch in chunk '" + fourcc(type) + "')");
    if (idat) {
      if (colour == 3 && !have_plte) return bad("corrupt PNG (palette image without a PLTE chunk before IDAT)");
      have_idat = true;
    } else if (is_png_type(type, "IEND")) {
      if (!have_idat) return bad("corrupt PNG (no IDAT chunk: no image data)");
      break;  // bytes after IEND are ignored, as the decoder does
    } else if (is_png_type(type, "PLTE")) {
      if (have_plte || have_idat || len == 0 || len % 3 != 0 || len > 768) return bad("corrupt PNG (PLTE chunk)");
      have_plte = true;
    } else if (is_png_type(type, "tRNS")) {
      have_trns = true;
    } else if (is_png_type(type, "IHDR")) {
      return bad("corrupt PNG (second IHDR chunk)");
    } else if (!(type[0] & 0x20)) {  // an uppercase first letter: critical, decoders must refuse it
      return Status::unsupported("unsupported PNG (unknown critical chunk '" + fourcc(type) + "')");
    }
    pos += 12 + static_cast<std::size_t>(len);
  }
  if (colour == 3 && have_trns) channels = 4;
  return header("png", w, h, channels);
}

// ---- BMP ----

sdk::Result<ImageHeader> probe_bmp(Bytes d, std::size_t n) {
  if (n < 18) return bad("truncated BMP (file header)");
  const std::uint32_t file_size = le32(d + 2);
  const std::uint32_t offset = le32(d + 10);
  const std::uint32_t hsize = le32(d + 14);
  if (hsize != 12 && hsize != 16 && hsize != 40 && hsize != 52 && hsize != 56 && hsize != 64 && hsize != 108 &&
      hsize != 124)
    return bad("corrupt BMP (info header of " + std::to_string(hsize) + " bytes)");
  if (n - 14 < hsize) return bad("truncated BMP (info header)");
  std::int64_t w = 0, h = 0;
  std::uint32_t planes = 0, bpp = 0, compression = 0, image_size = 0, colours_used = 0;
  std::size_t palette_entry = 4;
  if (hsize == 12) {  // BITMAPCOREHEADER (OS/2 1.x)
    w = le16(d + 18);
    h = le16(d + 20);
    planes = le16(d + 22);
    bpp = le16(d + 24);
    palette_entry = 3;
  } else {
    w = static_cast<std::int32_t>(le32(d + 18));
    h = static_cast<std::int32_t>(le32(d + 22));
    planes = le16(d + 26);
    bpp = le16(d + 28);
    if (hsize >= 40) {
      compression = le32(d + 30);
      image_size = le32(d + 34);
      colours_used = le32(d + 46);
    }
  }
  const bool top_down = h < 0;
  if (top_down) h = -h;  // int64: INT32_MIN negates safely
  if (auto s = check_size("BMP", w, h); !s) return s;
  if (planes != 1) return bad("corrupt BMP (" + std::to_string(planes) + " planes)");
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
    return bad("corrupt BMP (" + std::to_string(bpp) + " bits per pixel)");
  const bool rle = compression == 1 || compression == 2;
  const bool bitfields = compression == 3 || compression == 6;
  if (compression == 4 || compression == 5)
    return Status::unsupported("unsupported BMP (embedded JPEG or PNG)");
  if (compression > 6) return bad("corrupt BMP (compression " + std::to_string(compression) + ")");
  if ((compression == 1 && bpp != 8) || (compression == 2 && bpp != 4) || (bitfields && bpp != 16 && bpp != 32) ||
      (rle && top_down))
    return bad("corrupt BMP (compression " + std::to_string(compression) + " with " + std::to_string(bpp) +
               " bits per pixel)");

  int channels = 3;
  const std::size_t after_header = 14 + static_cast<std::size_t>(hsize);
  if (bpp <= 8) {
    const std::uint32_t max_colours = 1u << bpp;
    const std::uint32_t colours = colours_used == 0 || colours_used > max_colours ? max_colours : colours_used;
    const std::size_t palette_bytes = colours * palette_entry;
    if (n - after_header < palette_bytes) return bad("truncated BMP (palette)");
    bool gray = true;
    for (std::size_t i = 0; i < colours && gray; ++i) {
      Bytes c = d + after_header + i * palette_entry;
      gray = c[0] == c[1] && c[1] == c[2];
    }
    channels = gray ? 1 : 3;
  } else if (bpp == 32 && bitfields && (compression == 6 || hsize >= 56) && n >= 70 && le32(d + 66) != 0) {
    channels = 4;  // an alpha mask, in a V3+ header or after a 40-byte header (ALPHABITFIELDS)
  }

  if (offset < after_header) return bad("corrupt BMP (pixel data offset inside the header)");
  if (offset > n) return bad("truncated BMP (pixel data offset past the end of the file)");
  const std::uint64_t available = n - offset;
  if (rle) {
    if (image_size > available) return bad("truncated BMP (compressed pixel data runs past the end of the file)");
  } else {
    const std::uint64_t stride = (static_cast<std::uint64_t>(w) * bpp + 31) / 32 * 4;
    const std::uint64_t need = stride * static_cast<std::uint64_t>(h);
    if (need > available)
      return bad("truncated BMP (pixel data needs " + std::to_string(need) + " bytes, the file has " +
                 std::to_string(available) + ")");
  }
  if (file_size > n)
    return bad("truncated BMP (header says " + std::to_string(file_size) + " bytes, the file has " +
               std::to_string(n) + ")");
  return header("bmp", w, h, channels);
}

// ---- WebP ----

struct WebpFrame {
  std::int64_t w = 0, h = 0;
  bool alpha = false;
};

Status parse_vp8(Bytes p, std::size_t len, WebpFrame& f) {
  if (len < 10) return bad("corrupt WebP (VP8 chunk too short)");
  const std::uint32_t tag = le24(p);
  if (tag & 1) return bad("corrupt WebP (VP8 data is not a key frame)");
  if (((tag >> 1) & 7) > 3) return bad("corrupt WebP (VP8 version)");
  if ((tag >> 5) > len) return bad("corrupt WebP (VP8 partition larger than its chunk)");
  if (p[3] != 0x9D || p[4] != 0x01 || p[5] != 0x2A) return bad("corrupt WebP (VP8 start code)");
  f.w = le16(p + 6) & 0x3FFF;
  f.h = le16(p + 8) & 0x3FFF;
  f.alpha = false;
  return check_size("WebP", f.w, f.h);
}

Status parse_vp8l(Bytes p, std::size_t len, WebpFrame& f) {
  if (len < 5 || p[0] != 0x2F) return bad("corrupt WebP (VP8L signature)");
  const std::uint32_t bits = le32(p + 1);
  if (bits >> 29) return bad("corrupt WebP (VP8L version)");
  f.w = (bits & 0x3FFF) + 1;
  f.h = ((bits >> 14) & 0x3FFF) + 1;
  f.alpha = (bits >> 28) & 1;
  return Status::ok();
}

sdk::Result<ImageHeader> probe_webp(Bytes d, std::size_t n) {
  if (n < 12) return bad("truncated WebP (RIFF header)");
  const std::uint32_t riff = le32(d + 4);
  if (riff < 4 + 8) return bad("corrupt WebP (RIFF size " + std::to_string(riff) + ")");
  if (riff > n - 8)
    return bad("truncated WebP (RIFF size says " + std::to_string(riff + std::uint64_t{8}) + " bytes, the file has " +
               std::to_string(n) + ")");
  const std::size_t end = 8 + static_cast<std::size_t>(riff);  // bytes after the RIFF are ignored

  bool extended = false, animated = false, have_frame = false;
  WebpFrame canvas, frame;
  std::size_t pos = 12;
  for (bool first = true; pos < end; first = false) {
    if (end - pos < 8) return bad("corrupt WebP (chunk header cut off by the RIFF size)");
    Bytes type = d + pos;
    const std::uint32_t len = le32(d + pos + 4);
    if (len > end - pos - 8) return bad("corrupt WebP (chunk '" + fourcc(type) + "' runs past the RIFF size)");
    Bytes p = d + pos + 8;
    const bool vp8 = std::memcmp(type, "VP8 ", 4) == 0, vp8l = std::memcmp(type, "VP8L", 4) == 0;
    if (first) {
      if (std::memcmp(type, "VP8X", 4) == 0) {
        if (len < 10) return bad("corrupt WebP (VP8X chunk too short)");
        extended = true;
        animated = p[0] & 0x02;
        canvas.alpha = p[0] & 0x10;
        canvas.w = static_cast<std::int64_t>(le24(p + 4)) + 1;
        canvas.h = static_cast<std::int64_t>(le24(p + 7)) + 1;
        if (canvas.w * canvas.h > 0xFFFFFFFFll) return bad("corrupt WebP (canvas over 2^32 pixels)");
        if (auto s = check_size("WebP", canvas.w, canvas.h); !s) return s;
        if (animated) return Status::unsupported("unsupported WebP (animated)");
      } else if (!vp8 && !vp8l) {
        return bad("corrupt WebP (the first chunk is '" + fourcc(type) + "', not VP8, VP8L or VP8X)");
      }
    }
    if ((vp8 || vp8l) && !have_frame) {
      if (auto s = vp8 ? parse_vp8(p, len, frame) : parse_vp8l(p, len, frame); !s) return s;
      have_frame = true;
      if (!extended) break;  // a simple file is that one chunk
    }
    // Chunks are padded to an even size; a missing pad byte at the very end is tolerated.
    const std::size_t padded = static_cast<std::size_t>(len) + (len & 1);
    pos += 8 + (padded <= end - pos - 8 ? padded : static_cast<std::size_t>(len));
  }
  if (!have_frame) return bad("corrupt WebP (no VP8 or VP8L image data)");
  if (!extended) return header("webp", frame.w, frame.h, frame.alpha ? 4 : 3);
  if (frame.w != canvas.w || frame.h != canvas.h)
    return bad("corrupt WebP (image " + std::to_string(frame.w) + " x " + std::to_string(frame.h) +
               " does not match its canvas " + std::to_string(canvas.w) + " x " + std::to_string(canvas.h) + ")");
  return header("webp", canvas.w, canvas.h, canvas.alpha || frame.alpha ? 4 : 3);
}

bool starts_with(Bytes d, std::size_t n, const char* prefix, std::size_t k) {
  return n >= k && std::memcmp(d, prefix, k) == 0;
}

}  // namespace

sdk::Result<ImageHeader> probe_image(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || data == nullptr) return bad("empty file");
  if (starts_with(data, size, "\xFF\xD8", 2)) return probe_jpeg(data, size);
  if (starts_with(data, size, "\x89PNG", 4)) return probe_png(data, size);
  if (starts_with(data, size, "BM", 2)) return probe_bmp(data, size);
  if (starts_with(data, size, "RIFF", 4) && size > 8) {
    const std::size_t k = size < 12 ? size - 8 : 4;
    if (std::memcmp(data + 8, "WEBP", k) == 0) return probe_webp(data, size);
  }
  return Status::unsupported("unsupported image format (expected JPEG, PNG, BMP or WebP)");
}

sdk::Status check_pixel_cap(const ImageHeader& h, std::uint64_t cap) {
  const std::uint64_t w = h.width > 0 ? static_cast<std::uint64_t>(h.width) : 0;
  const std::uint64_t hh = h.height > 0 ? static_cast<std::uint64_t>(h.height) : 0;
  const std::uint64_t pixels = w * hh;  // each side fits in 31 bits: no overflow
  if (pixels <= cap) return Status::ok();
  return Status::invalid("image is " + std::to_string(h.width) + " x " + std::to_string(h.height) + " = " +
                         std::to_string(pixels) + " pixels, over the cap of " + std::to_string(cap) +
                         " (raise it with --max-pixels)");
}

std::string content_hash(const std::uint8_t* data, std::size_t size) {
  static const char kHex[] = "0123456789abcdef";
  const XXH128_hash_t h = XXH3_128bits(size ? data : nullptr, size);
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kHex[(h.high64 >> (4 * i)) & 15];
    out[31 - i] = kHex[(h.low64 >> (4 * i)) & 15];
  }
  return out;
}

sdk::Status read_file_bytes(const std::string& path, std::vector<std::uint8_t>& out, std::uint64_t max_bytes) {
  auto from_errno = [](int e) {
    switch (e) {
      case ENOENT: return Status::io_error("no such file");
      case ENOTDIR: return Status::io_error("no such file (a folder in its path is a file)");
      case EACCES:
      case EPERM: return Status::io_error("permission denied");
      case EISDIR: return Status::io_error("is a directory");
      default: return Status::io_error(std::string("cannot read: ") + std::strerror(e));
    }
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return from_errno(errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return from_errno(errno);
  if (S_ISDIR(st.st_mode)) return Status::io_error("is a directory");
  if (!S_ISREG(st.st_mode)) return Status::io_error("not a regular file");
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  if (file_size > max_bytes) return Status::io_error("file is larger than " + std::to_string(max_bytes) + " bytes");
  // resize() keeps the capacity; only bytes beyond the old size are zeroed.
  out.resize(static_cast<std::size_t>(file_size));
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t r = ::read(fd, out.data() + got, out.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      out.clear();
      return from_errno(e);
    }
    if (r == 0) break;  // the file shrank while we read it: keep what is there
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return Status::ok();
}

}  // namespace kohl::core
