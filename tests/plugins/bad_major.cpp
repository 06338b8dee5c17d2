// Built against a future SDK major version: the host must reject it before loading.
#include "test_plugin_common.hpp"

static kohl::sdk::Status reg(kohl::sdk::IRegistrar& r) { return r.add(test_plugin::identity_descriptor("org.kohl.test.bad_major")); }

KOHL_PLUGIN_ABI(KOHL_SDK_ABI_INFO_WITH_VERSION(KOHL_SDK_PACK_VERSION(KOHL_SDK_VERSION_MAJOR + 1, 0, 0)))
KOHL_PLUGIN_REGISTER(reg)
