#include "kohl/core/elf_section.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>

namespace kohl::core {

namespace {
// Section tables this large are not plugins; refuse instead of allocating.
constexpr std::uint64_t kMaxSections = 1u << 16;
constexpr std::uint64_t kMaxSectionBytes = 1u << 20;

bool read_at(std::ifstream& in, std::uint64_t offset, void* dst, std::size_t n) {
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in) return false;
  in.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
  return static_cast<std::size_t>(in.gcount()) == n;
}
}  // namespace

sdk::Result<std::vector<std::uint8_t>> read_elf_section(const std::string& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return sdk::Status::io_error("cannot open file");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());

  Elf64_Ehdr eh{};
  if (!read_at(in, 0, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return sdk::Status::invalid("not a shared library (no ELF header)");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return sdk::Status::invalid("not a 64-bit little-endian ELF file");
  if (eh.e_type != ET_DYN) return sdk::Status::invalid("ELF file is not a shared library (e_type != ET_DYN)");
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > kMaxSections)
    return sdk::Status::invalid("ELF file has no usable section header table");
  if (eh.e_shoff + static_cast<std::uint64_t>(eh.e_shnum) * sizeof(Elf64_Shdr) > file_size)
    return sdk::Status::invalid("ELF file is truncated (section header table past the end)");

  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  if (!read_at(in, eh.e_shoff, sh.data(), sh.size() * sizeof(Elf64_Shdr)))
    return sdk::Status::invalid("ELF file is truncated (section headers)");
  if (eh.e_shstrndx >= sh.size()) return sdk::Status::invalid("ELF file has no section name table");
  const Elf64_Shdr& strtab = sh[eh.e_shstrndx];
  if (strtab.sh_offset + strtab.sh_size > file_size || strtab.sh_size > kMaxSectionBytes)
    return sdk::Status::invalid("ELF file is truncated (section name table)");
  std::vector<char> names(strtab.sh_size + 1, '\0');
  if (!read_at(in, strtab.sh_offset, names.data(), strtab.sh_size))
    return sdk::Status::invalid("ELF file is truncated (section names)");

  for (const auto& s : sh) {
    if (s.sh_name >= strtab.sh_size) continue;
    if (name != &names[s.sh_name]) continue;
    if (s.sh_type == SHT_NOBITS) return sdk::Status::invalid("section '" + name + "' has no data in the file");
    if (s.sh_size > kMaxSectionBytes || s.sh_offset + s.sh_size > file_size)
      return sdk::Status::invalid("section '" + name + "' is truncated");
    std::vector<std::uint8_t> bytes(s.sh_size);
    if (!read_at(in, s.sh_offset, bytes.data(), bytes.size()))
      return sdk::Status::invalid("section '" + name + "' could not be read");
    return bytes;
  }
  return sdk::Status::invalid("no section '" + name + "'");
}

}  // namespace kohl::core
