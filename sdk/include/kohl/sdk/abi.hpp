// The ABI handshake. Every plugin carries one AbiInfo, a plain struct of integers and
// fixed-size strings placed in its own ELF section ("kohl_abi"). The host reads that
// section from the file on disk before the library is loaded, so a plugin built against
// another SDK, compiler, LibTorch or OpenCV is rejected without running any of its code.
// Rules for changing this struct: sdk/docs/ABI.md. Persisted layout: append only.
#pragma once

#include <cstdint>

#include "kohl/sdk/version.hpp"

// Only code built with LibTorch (KohlSDK::torch defines KOHL_SDK_WITH_TORCH) records a
// LibTorch version; a plugin without tensors records "none" and fits any host LibTorch.
#if defined(KOHL_SDK_WITH_TORCH)
#include <torch/version.h>
#endif
#if __has_include(<opencv2/core/version.hpp>)
#include <opencv2/core/version.hpp>
#endif

namespace kohl::sdk {

// 'KOHL' in little-endian bytes: tells a Kohl handshake from random section bytes.
constexpr std::uint32_t kAbiMagic = 0x4C484F4Bu;

struct AbiInfo {
  std::uint32_t struct_size;  // sizeof(AbiInfo) as the plugin was compiled; always first
  std::uint32_t magic;        // kAbiMagic
  std::uint32_t sdk_version;  // KOHL_SDK_VERSION, packed 0x00MMmmpp
  std::int32_t cxx11_abi;     // _GLIBCXX_USE_CXX11_ABI, or -1 when not libstdc++
  char compiler[48];          // "gcc 12.2.0" / "clang 14.0.6"
  char torch_version[24];     // TORCH_VERSION, or "none" when built without LibTorch
  char cv_version[24];        // CV_VERSION, or "none" when built without OpenCV
};

// The size of the first (v1.0) AbiInfo. Later SDK minors only append fields, so the host
// accepts any struct_size >= this and reads the fields the size covers.
constexpr std::uint32_t kAbiInfoV1Size = 112;
static_assert(sizeof(AbiInfo) >= kAbiInfoV1Size, "AbiInfo fields are only ever appended");

}  // namespace kohl::sdk

#define KOHL_SDK_STR_(x) #x
#define KOHL_SDK_STR(x) KOHL_SDK_STR_(x)

#if defined(__clang__)
#define KOHL_SDK_COMPILER \
  "clang " KOHL_SDK_STR(__clang_major__) "." KOHL_SDK_STR(__clang_minor__) "." KOHL_SDK_STR(__clang_patchlevel__)
#elif defined(__GNUC__)
#define KOHL_SDK_COMPILER \
  "gcc " KOHL_SDK_STR(__GNUC__) "." KOHL_SDK_STR(__GNUC_MINOR__) "." KOHL_SDK_STR(__GNUC_PATCHLEVEL__)
#else
#define KOHL_SDK_COMPILER "unknown"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define KOHL_SDK_CXX11_ABI _GLIBCXX_USE_CXX11_ABI
#else
#define KOHL_SDK_CXX11_ABI -1
#endif

#if defined(TORCH_VERSION)
#define KOHL_SDK_TORCH_VERSION TORCH_VERSION
#else
#define KOHL_SDK_TORCH_VERSION "none"
#endif

#if defined(CV_VERSION)
#define KOHL_SDK_CV_VERSION CV_VERSION
#else
#define KOHL_SDK_CV_VERSION "none"
#endif

// The AbiInfo of the translation unit that expands it. The host builds its own with the
// same macro, so both sides describe themselves the same way.
#define KOHL_SDK_ABI_INFO_WITH_VERSION(packed_version)                                      \
  ::kohl::sdk::AbiInfo {                                                                    \
    static_cast<std::uint32_t>(sizeof(::kohl::sdk::AbiInfo)), ::kohl::sdk::kAbiMagic,       \
        (packed_version), KOHL_SDK_CXX11_ABI, KOHL_SDK_COMPILER, KOHL_SDK_TORCH_VERSION,    \
        KOHL_SDK_CV_VERSION                                                                 \
  }
#define KOHL_SDK_ABI_INFO KOHL_SDK_ABI_INFO_WITH_VERSION(KOHL_SDK_VERSION)
