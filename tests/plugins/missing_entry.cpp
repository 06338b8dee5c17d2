// Has a valid handshake but no kohl_register entry point.
#include "test_plugin_common.hpp"

KOHL_PLUGIN_ABI(KOHL_SDK_ABI_INFO)
