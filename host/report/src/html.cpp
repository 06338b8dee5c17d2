// Escaping, formatting, base64 (see html.hpp).
#include "kohl/report/html.hpp"

#include <cmath>
#include <cstdio>

namespace kohl::report {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(const std::uint8_t* data, std::size_t size) {
  static const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < size; i += 3) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += kTable[v & 63];
  }
  if (i + 1 == size) {
    const std::uint32_t v = data[i] << 16;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == size) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string data_uri(const std::string& mime, const std::vector<std::uint8_t>& bytes) {
  return "data:" + mime + ";base64," + base64(bytes.data(), bytes.size());
}

std::string fmt(std::optional<double> v, int digits) {
  if (!v || !std::isfinite(*v)) return "\u2013";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, *v);
  std::string s = buf;
  if (s == "-0" || s.rfind("-0.", 0) == 0) {  // "-0.000" reads as a sign that is not there
    bool zero = true;
    for (char c : s.substr(1))
      if (c != '0' && c != '.') zero = false;
    if (zero) s = s.substr(1);
  }
  return s;
}

std::string fmt_signed(std::optional<double> v, int digits) {
  std::string s = fmt(v, digits);
  if (!v || !std::isfinite(*v) || s[0] == '-') return s;
  return "+" + s;
}

std::string fmt_p(double p) {
  if (!std::isfinite(p)) return "\u2013";
  if (p < 0.001) return "<0.001";
  return fmt(p, 3);
}

}  // namespace kohl::report
