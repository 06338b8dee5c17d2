// Catch2's main for every Kohl test executable.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
