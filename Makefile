# eddy: `make` builds build/eddy, `make test` runs every test, `make demo`
# runs the main job. CMake does the work underneath.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps configure test test-asan test-valgrind demo bench clean

all: $(BUILD)/eddy

deps:
	@scripts/install-deps.sh

# Also what the tests need: Debian's chromium and playwright-core.
test-deps:
	@scripts/install-deps.sh --test

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

$(BUILD)/eddy: deps $(BUILD)/CMakeCache.txt FORCE
	cmake --build $(BUILD) -j $(JOBS)

test: test-deps $(BUILD)/eddy
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: test-deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEDDY_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# eddy over a few pipelines and a few unit tests under valgrind's memcheck
# (any error or definite leak fails), using the RelWithDebInfo $(BUILD) tree.
test-valgrind: $(BUILD)/eddy
	tests/valgrind/run $(BUILD)

demo: $(BUILD)/eddy
	$(BUILD)/eddy demo votes

bench: $(BUILD)/eddy
	bench/run

clean:
	rm -rf $(BUILD) build-asan build-fuzz

FORCE:
