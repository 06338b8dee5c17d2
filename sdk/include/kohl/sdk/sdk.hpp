// Everything a plugin needs except LibTorch (include backbone.hpp / exporter.hpp for that).
#pragma once

#include "kohl/sdk/abi.hpp"
#include "kohl/sdk/augmenter.hpp"
#include "kohl/sdk/evaluator.hpp"
#include "kohl/sdk/graph.hpp"
#include "kohl/sdk/host_services.hpp"
#include "kohl/sdk/layouts.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/plugin.hpp"
#include "kohl/sdk/progress.hpp"
#include "kohl/sdk/sample.hpp"
#include "kohl/sdk/status.hpp"
#include "kohl/sdk/version.hpp"
