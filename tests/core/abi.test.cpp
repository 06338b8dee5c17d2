// The ABI handshake: decoding, the compatibility rules, reading it from real files.
#include <catch2/catch.hpp>

#include <cstring>

#include "kohl/core/abi_check.hpp"
#include "kohl/core/elf_section.hpp"
#include "test_support.hpp"

using namespace kohl;

namespace {
sdk::AbiInfo with_version(std::uint32_t v) {
  sdk::AbiInfo a = core::host_abi_info();
  a.sdk_version = v;
  return a;
}
std::vector<std::uint8_t> bytes_of(const sdk::AbiInfo& a) {
  std::vector<std::uint8_t> b(sizeof a);
  std::memcpy(b.data(), &a, sizeof a);
  return b;
}
}  // namespace

TEST_CASE("host AbiInfo describes this build", "[abi]") {
  const auto& h = core::host_abi_info();
  CHECK(h.struct_size == sizeof(sdk::AbiInfo));
  CHECK(h.magic == sdk::kAbiMagic);
  CHECK(h.sdk_version == KOHL_SDK_VERSION);
  CHECK(std::string(h.torch_version) == TORCH_VERSION);
  CHECK(std::string(h.cv_version) == CV_VERSION);
  CHECK(core::describe_abi(h).find("SDK 1.0.0") != std::string::npos);
  CHECK(core::check_abi(h, h).is_ok());
}

TEST_CASE("SDK version rules: same major, minor not newer than the host's", "[abi]") {
  const auto host = with_version(KOHL_SDK_PACK_VERSION(1, 2, 0));
  CHECK(core::check_abi(with_version(KOHL_SDK_PACK_VERSION(1, 0, 5)), host).is_ok());
  CHECK(core::check_abi(with_version(KOHL_SDK_PACK_VERSION(1, 2, 9)), host).is_ok());

  auto newer_minor = core::check_abi(with_version(KOHL_SDK_PACK_VERSION(1, 3, 0)), host);
  REQUIRE_FALSE(newer_minor.is_ok());
  CHECK(newer_minor.message().find("SDK 1.3.0, newer than this Kohl's SDK 1.2.0") != std::string::npos);

  auto major = core::check_abi(with_version(KOHL_SDK_PACK_VERSION(2, 0, 0)), host);
  REQUIRE_FALSE(major.is_ok());
  CHECK(major.message().find("major versions must match") != std::string::npos);
  CHECK_FALSE(core::check_abi(with_version(KOHL_SDK_PACK_VERSION(0, 9, 0)), host).is_ok());
}

TEST_CASE("build fingerprint rules: compiler, C++ ABI, LibTorch, OpenCV", "[abi]") {
  const auto host = core::host_abi_info();
  auto p = host;
  std::strcpy(p.compiler, "clang 99.0.0");
  CHECK(core::check_abi(p, host).message().find("built with clang 99.0.0") != std::string::npos);

  p = host;
  p.cxx11_abi = host.cxx11_abi == 1 ? 0 : 1;
  CHECK(core::check_abi(p, host).message().find("_GLIBCXX_USE_CXX11_ABI") != std::string::npos);

  p = host;
  std::strcpy(p.torch_version, "9.9.9");
  CHECK(core::check_abi(p, host).message().find("LibTorch 9.9.9") != std::string::npos);
  std::strcpy(p.torch_version, "none");  // a plugin without tensors fits any LibTorch
  CHECK(core::check_abi(p, host).is_ok());

  p = host;
  std::strcpy(p.cv_version, "3.4.0");
  CHECK(core::check_abi(p, host).message().find("OpenCV 3.4.0") != std::string::npos);
}

TEST_CASE("decode_abi refuses short, foreign and unterminated handshakes", "[abi]") {
  auto good = bytes_of(core::host_abi_info());
  REQUIRE(core::decode_abi(good).is_ok());

  auto short_bytes = good;
  short_bytes.resize(8);
  CHECK(core::decode_abi(short_bytes).status().message().find("expected at least") != std::string::npos);

  auto bad_magic = core::host_abi_info();
  bad_magic.magic = 0x12345678;
  CHECK(core::decode_abi(bytes_of(bad_magic)).status().message().find("magic") != std::string::npos);

  auto unterminated = core::host_abi_info();
  std::memset(unterminated.compiler, 'x', sizeof unterminated.compiler);
  CHECK(core::decode_abi(bytes_of(unterminated)).status().message().find("not terminated") != std::string::npos);

  // A newer, larger AbiInfo (fields appended) still decodes: v1 fields come first.
  auto larger = good;
  larger.resize(good.size() + 16, 0);
  std::uint32_t size = static_cast<std::uint32_t>(larger.size());
  std::memcpy(larger.data(), &size, sizeof size);
  CHECK(core::decode_abi(larger).is_ok());
}

TEST_CASE("the handshake is read from the plugin file without loading it", "[abi]") {
  auto bytes = core::read_elf_section((test::plugin_dir() / "augment_basic.so").string(), "kohl_abi");
  REQUIRE(bytes.is_ok());
  auto info = core::decode_abi(bytes.value());
  REQUIRE(info.is_ok());
  CHECK(core::check_abi(info.value(), core::host_abi_info()).is_ok());
  CHECK(std::string(info->torch_version) == "none");  // augment-basic uses no tensors
  CHECK(std::string(info->cv_version) == CV_VERSION);

  auto major = core::read_elf_section((test::test_plugin_dir() / "bad_major.so").string(), "kohl_abi");
  REQUIRE(major.is_ok());
  CHECK(sdk::version_major(core::decode_abi(major.value())->sdk_version) == KOHL_SDK_VERSION_MAJOR + 1);

  auto text = core::read_elf_section((test::test_plugin_dir() / "not_a_library.so").string(), "kohl_abi");
  CHECK(text.status().message() == "not a shared library (no ELF header)");

  // A truncated copy of a real plugin: the section table is gone.
  test::ScratchDir dir("abi");
  const auto whole = test::read_file(test::plugin_dir() / "augment_basic.so");
  {
    std::ofstream out(dir / "truncated.so", std::ios::binary);
    out.write(whole.data(), 4096);
  }
  auto truncated = core::read_elf_section((dir / "truncated.so").string(), "kohl_abi");
  REQUIRE_FALSE(truncated.is_ok());
  CHECK(truncated.status().message().find("truncated") != std::string::npos);
}
