// Deploy bundles: a folder with a trained model in several formats and what a server needs
// to use it (preprocessing, labels or palette, model card), listed with sizes and hashes in
// manifest.json. Written by `kohl export --format bundle` (libkohl_train.so), read by
// `kohl bundle verify` and the server. No LibTorch here. Layout and fields: docs/export.md.
#pragma once

#include <string>

#include "kohl/sdk/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::core {

// Persisted (manifest.json): the format's name and the newest version this Kohl reads.
constexpr const char* kBundleFormat = "kohl-deploy-bundle";
constexpr int kBundleFormatVersion = 1;
constexpr const char* kBundleManifest = "manifest.json";
constexpr const char* kBundleHash = "xxh3-128";  // as image and checkpoint hashes (32 hex digits)

// Hashes every regular file directly in `dir` (except manifest.json) and writes
// manifest.json: `header` (run, kohl_version, ...) plus format, format_version, hash and
// files {name: {bytes, xxh3_128}}. Returns the manifest written.
sdk::Result<sdk::Json> write_bundle_manifest(const std::string& dir, const sdk::Json& header);

// Reads DIR/manifest.json and checks it: the format and version, and every listed file
// present with its size and hash. Refuses a bundle with a missing, truncated or changed
// file (the message names the file), a file the manifest does not list, or a manifest that
// is not one. Returns the manifest.
sdk::Result<sdk::Json> verify_bundle(const std::string& dir);

}  // namespace kohl::core
