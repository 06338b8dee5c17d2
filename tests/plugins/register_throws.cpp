// Its register function throws; KOHL_PLUGIN's guard turns that into an error Status.
#include <stdexcept>

#include "test_plugin_common.hpp"

static kohl::sdk::Status reg(kohl::sdk::IRegistrar&) { throw std::runtime_error("boom while registering"); }

KOHL_PLUGIN(reg)
