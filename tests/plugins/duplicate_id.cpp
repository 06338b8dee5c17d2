// Claims the id of a plugin Kohl ships (augment-basic's flip): the first one loaded wins.
#include "test_plugin_common.hpp"

static kohl::sdk::Status reg(kohl::sdk::IRegistrar& r) { return r.add(test_plugin::identity_descriptor("org.kohl.augment.flip")); }

KOHL_PLUGIN(reg)
