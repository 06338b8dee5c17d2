// Registers fine; create() fails (as a plugin whose model file is missing would).
#include "test_plugin_common.hpp"

namespace {
kohl::sdk::Result<kohl::sdk::IPlugin*> create_fails(const kohl::sdk::ParamValues&, kohl::sdk::IHostServices&) {
  return kohl::sdk::Status::error("model file weights.bin not found");
}
kohl::sdk::Status reg(kohl::sdk::IRegistrar& r) {
  auto d = test_plugin::identity_descriptor("org.kohl.test.create_fails");
  d.create = &create_fails;
  return r.add(d);
}
}  // namespace

KOHL_PLUGIN(reg)
