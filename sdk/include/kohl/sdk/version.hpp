// SDK version. Plugins compile these numbers into their AbiInfo; the host compares them
// with its own before it calls any plugin code (see sdk/docs/ABI.md for the rules).
#pragma once

#include <cstdint>

#define KOHL_SDK_VERSION_MAJOR 1
#define KOHL_SDK_VERSION_MINOR 0
#define KOHL_SDK_VERSION_PATCH 0

// Packed as 0x00MMmmpp: major in bits 16-23, minor 8-15, patch 0-7.
#define KOHL_SDK_PACK_VERSION(major, minor, patch) \
  ((static_cast<std::uint32_t>(major) << 16) | (static_cast<std::uint32_t>(minor) << 8) | \
   static_cast<std::uint32_t>(patch))
#define KOHL_SDK_VERSION \
  KOHL_SDK_PACK_VERSION(KOHL_SDK_VERSION_MAJOR, KOHL_SDK_VERSION_MINOR, KOHL_SDK_VERSION_PATCH)

namespace kohl::sdk {

constexpr std::uint32_t kSdkVersion = KOHL_SDK_VERSION;
constexpr std::uint32_t version_major(std::uint32_t packed) { return (packed >> 16) & 0xffu; }
constexpr std::uint32_t version_minor(std::uint32_t packed) { return (packed >> 8) & 0xffu; }
constexpr std::uint32_t version_patch(std::uint32_t packed) { return packed & 0xffu; }

}  // namespace kohl::sdk
