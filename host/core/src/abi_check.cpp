#include "kohl/core/abi_check.hpp"

#include <algorithm>
#include <cstring>

namespace kohl::core {

namespace {
std::string version_string(std::uint32_t packed) {
  return std::to_string(sdk::version_major(packed)) + "." + std::to_string(sdk::version_minor(packed)) + "." +
         std::to_string(sdk::version_patch(packed));
}

// "gcc 12.2.0" -> "gcc 12": family and major decide libstdc++/ABI compatibility.
std::string compiler_family_major(const char* s) {
  std::string c(s);
  auto dot = c.find('.');
  return dot == std::string::npos ? c : c.substr(0, dot);
}

// "4.6.0" -> "4.6"
std::string major_minor(const char* s) {
  std::string v(s);
  auto first = v.find('.');
  if (first == std::string::npos) return v;
  auto second = v.find('.', first + 1);
  return second == std::string::npos ? v : v.substr(0, second);
}

template <std::size_t N>
bool terminated(const char (&s)[N]) {
  return std::memchr(s, '\0', N) != nullptr;
}
}  // namespace

const sdk::AbiInfo& host_abi_info() {
  static const sdk::AbiInfo info = KOHL_SDK_ABI_INFO;
  return info;
}

std::string describe_abi(const sdk::AbiInfo& i) {
  return "SDK " + version_string(i.sdk_version) + ", " + i.compiler + ", cxx11-abi " + std::to_string(i.cxx11_abi) +
         ", torch " + i.torch_version + ", opencv " + i.cv_version;
}

sdk::Result<sdk::AbiInfo> decode_abi(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t size = 0;
  if (bytes.size() < sizeof size) return sdk::Status::invalid("handshake section is too short");
  std::memcpy(&size, bytes.data(), sizeof size);
  // v1 is the smallest AbiInfo there will ever be: fields are only appended.
  if (size < sdk::kAbiInfoV1Size || size > bytes.size())
    return sdk::Status::invalid("handshake has size " + std::to_string(size) + ", expected at least " +
                                std::to_string(sdk::kAbiInfoV1Size) + " bytes");
  // Copy what both sides know: an older plugin's smaller struct leaves newer fields zero.
  sdk::AbiInfo info{};
  std::memcpy(&info, bytes.data(), std::min<std::size_t>(size, sizeof info));
  if (info.magic != sdk::kAbiMagic) return sdk::Status::invalid("handshake has the wrong magic number");
  if (!terminated(info.compiler) || !terminated(info.torch_version) || !terminated(info.cv_version))
    return sdk::Status::invalid("handshake strings are not terminated");
  return info;
}

sdk::Status check_abi(const sdk::AbiInfo& p, const sdk::AbiInfo& h) {
  const auto pv = p.sdk_version, hv = h.sdk_version;
  if (sdk::version_major(pv) != sdk::version_major(hv))
    return sdk::Status::invalid("built against Kohl SDK " + version_string(pv) + ", this Kohl has SDK " +
                                version_string(hv) + " (major versions must match): rebuild the plugin against SDK " +
                                std::to_string(sdk::version_major(hv)) + ".x");
  if (sdk::version_minor(pv) > sdk::version_minor(hv))
    return sdk::Status::invalid("built against Kohl SDK " + version_string(pv) + ", newer than this Kohl's SDK " +
                                version_string(hv) + ": update Kohl, or build the plugin against SDK " +
                                std::to_string(sdk::version_major(hv)) + "." + std::to_string(sdk::version_minor(hv)));
  if (compiler_family_major(p.compiler) != compiler_family_major(h.compiler))
    return sdk::Status::invalid(std::string("built with ") + p.compiler + ", this Kohl with " + h.compiler +
                                ": plugins must use the host's compiler and C++ runtime");
  if (p.cxx11_abi != h.cxx11_abi)
    return sdk::Status::invalid("built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(p.cxx11_abi) +
                                ", this Kohl with " + std::to_string(h.cxx11_abi));
  if (std::strcmp(p.torch_version, "none") != 0 && std::strcmp(p.torch_version, h.torch_version) != 0)
    return sdk::Status::invalid(std::string("built against LibTorch ") + p.torch_version + ", this Kohl runs LibTorch " +
                                h.torch_version);
  if (std::strcmp(p.cv_version, "none") != 0 && major_minor(p.cv_version) != major_minor(h.cv_version))
    return sdk::Status::invalid(std::string("built against OpenCV ") + p.cv_version + ", this Kohl runs OpenCV " +
                                h.cv_version);
  return sdk::Status::ok();
}

}  // namespace kohl::core
