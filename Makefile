# Quick start: `make run` (install, build, serve on :8010 with the mock provider), `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test bench clean format

all: build

deps:
	scripts/deps.sh build

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	ninja -C $(BUILD_DIR) -j $(JOBS) ai-gateway

run: build
	scripts/run.sh $(BUILD_DIR)/ai-gateway

test:
	scripts/deps.sh test
	scripts/test.sh

bench: build
	bench/mock_vs_nginx.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build build-asan
