// Reads one section of an ELF file from disk without loading it, so the plugin host can
// check a plugin's AbiInfo before running any of its code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kohl/sdk/status.hpp"

namespace kohl::core {

// Returns the bytes of section `name` of the 64-bit little-endian ELF file at `path`.
// Errors say what is wrong with the file ("not an ELF file", "no section 'kohl_abi'",
// "truncated section header table", ...).
sdk::Result<std::vector<std::uint8_t>> read_elf_section(const std::string& path, const std::string& name);

}  // namespace kohl::core
