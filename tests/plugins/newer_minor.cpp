// Built against a newer minor version of this SDK: it may use features this host lacks.
#include "test_plugin_common.hpp"

static kohl::sdk::Status reg(kohl::sdk::IRegistrar& r) { return r.add(test_plugin::identity_descriptor("org.kohl.test.newer_minor")); }

KOHL_PLUGIN_ABI(KOHL_SDK_ABI_INFO_WITH_VERSION(
    KOHL_SDK_PACK_VERSION(KOHL_SDK_VERSION_MAJOR, KOHL_SDK_VERSION_MINOR + 1, 0)))
KOHL_PLUGIN_REGISTER(reg)
