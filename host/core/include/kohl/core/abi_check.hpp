// Compares a plugin's AbiInfo with the host's (rules: sdk/docs/ABI.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kohl/sdk/abi.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::core {

// The AbiInfo this host was built with.
const sdk::AbiInfo& host_abi_info();

// "SDK 1.0.0, gcc 12.2.0, cxx11-abi 1, torch 1.13.0, opencv 4.6.0"
std::string describe_abi(const sdk::AbiInfo& info);

// Decodes the raw bytes of a plugin's "kohl_abi" section. Fails when they are too short,
// the magic is wrong or a string is not terminated.
sdk::Result<sdk::AbiInfo> decode_abi(const std::vector<std::uint8_t>& bytes);

// Ok when a plugin built as `plugin` can be loaded by a host built as `host`; otherwise an
// error whose message is the one-line reason ("built against Kohl SDK 2.0.0, ...").
sdk::Status check_abi(const sdk::AbiInfo& plugin, const sdk::AbiInfo& host);

}  // namespace kohl::core
