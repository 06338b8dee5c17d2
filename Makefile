# Kohl's front door. Each target installs what is missing, configures and builds into
# build/ (RelWithDebInfo), then runs:
#   make demo    the main job end to end on built-in data
#   make test    every test (ctest)
#   make bench   the benchmarks under bench/
# Variables: BUILD_DIR (build), JOBS (all cores), CMAKE_ARGS (extra -D flags, e.g.
# -DCMAKE_PREFIX_PATH=/opt/libtorch for another LibTorch).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all setup configure build demo test bench clean

all: build

setup:
	@bash scripts/setup.sh

configure: setup
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash scripts/bench.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
