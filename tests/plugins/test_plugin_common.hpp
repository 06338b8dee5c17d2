// A minimal valid augmenter the bad test plugins register, so that each one fails only
// for the reason its file name says.
#pragma once

#include "kohl/sdk/sdk.hpp"

namespace test_plugin {

class Identity final : public kohl::sdk::IAugmenter {
 public:
  Identity(const kohl::sdk::ParamValues&, kohl::sdk::IHostServices&) {}
  kohl::sdk::Status apply(kohl::sdk::Sample&, std::mt19937_64&) const override { return kohl::sdk::Status::ok(); }
};

inline kohl::sdk::PluginDescriptor identity_descriptor(const char* id) {
  kohl::sdk::PluginDescriptor d;
  d.kind = kohl::sdk::PluginKind::kAugmenter;
  d.id = id;
  d.name = "Test identity";
  d.version = "0.0.1";
  d.summary = "Changes nothing (test plugin).";
  d.create = &kohl::sdk::create_plugin<Identity>;
  d.destroy = &kohl::sdk::destroy_plugin;
  return d;
}

}  // namespace test_plugin
