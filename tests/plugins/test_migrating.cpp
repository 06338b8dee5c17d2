// A good plugin whose parameters changed twice, to test one-step-at-a-time upgrades:
//   v1 {"strength": int 0..100}  ->  v2 {"amount": int 0..100}  ->  v3 {"amount": float 0..1, "mode"}
#include "test_plugin_common.hpp"

namespace {
using namespace kohl::sdk;

Result<ParamValues> migrate(std::uint32_t from, const ParamValues& old) {
  ParamValues v = old;
  if (from == 1) {
    if (!v.contains("strength")) return Status::invalid("v1 parameters lack 'strength'");
    v["amount"] = v["strength"];
    v.erase("strength");
    return v;
  }
  if (from == 2) {
    v["amount"] = v.value("amount", 0) / 100.0;
    v["mode"] = "soft";
    return v;
  }
  return Status::invalid("no migration from version " + std::to_string(from));
}

Status reg(IRegistrar& r) {
  auto d = test_plugin::identity_descriptor("org.kohl.test.migrating");
  d.params_version = 3;
  d.migrate = &migrate;
  d.schema.add_float("amount", "Amount", 0.5, 0.0, 1.0);
  d.schema.add_enum("mode", "Mode", {"soft", "hard"}, "hard");
  return r.add(d);
}
}  // namespace

KOHL_PLUGIN(reg)
