// Small building blocks of Kohl's report pages: escaping, number formatting, base64 data
// URIs. Every string that comes from a project (run names, class names, parameters, paths)
// goes through escape() before it reaches a page.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kohl::report {

// & < > " ' as entities: safe in element text and in quoted attributes.
std::string escape(const std::string& text);
std::string base64(const std::uint8_t* data, std::size_t size);
std::string data_uri(const std::string& mime, const std::vector<std::uint8_t>& bytes);
// Fixed `digits` decimals; "–" for nullopt or a non-finite number.
std::string fmt(std::optional<double> v, int digits = 3);
// With an explicit sign ("+0.012").
std::string fmt_signed(std::optional<double> v, int digits = 3);
// p-values: "<0.001" below 0.001, else 3 decimals.
std::string fmt_p(double p);

}  // namespace kohl::report
