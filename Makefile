# Thin wrapper over CMake. See README.md.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
MH          = $(BUILD)/mailhunt

.PHONY: all deps build demo check check-release check-asan check-tsan install bench bench-rules format clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@sh scripts/demo.sh $(MH)

check: check-release check-asan check-tsan

check-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(BUILD_ASAN)/CMakeCache.txt:
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DMH_SANITIZE=ON

check-asan: deps $(BUILD_ASAN)/CMakeCache.txt
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

# The multi-threaded scan under ThreadSanitizer: only the binary is built,
# and only the end-to-end cases that run it on several threads.
TSAN_CASES = ^e2e/cli/(threads-identity|finish-threads-identity|memory-cap-many-groups|prefilter-equivalence|value-prefilter-equivalence|alerts-spill)$$

$(BUILD_TSAN)/CMakeCache.txt:
	cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=Debug -DMH_TSAN=ON

check-tsan: deps $(BUILD_TSAN)/CMakeCache.txt
	cmake --build $(BUILD_TSAN) -j $(JOBS) --target mailhunt
	cd $(BUILD_TSAN) && pre=$$(sh $(CURDIR)/scripts/tsan-env.sh ./mailhunt) && \
		TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
		$$pre ctest --output-on-failure -j $(JOBS) -R '$(TSAN_CASES)'

install: build
	cmake --install $(BUILD)

bench: build
	@sh scripts/deps.sh --bench
	@sh bench/run.sh $(MH)

# 1 vs 500 generated rules (bench/out/mde-100m.ndjson: sh bench/run.sh --quick)
bench-rules: build
	@sh bench/many-rules.sh --mailhunt $(MH)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN)
