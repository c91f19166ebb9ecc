#!/usr/bin/env bash
# Builds the gateway twice (release with warnings as errors; ASan+UBSan) and runs every test:
# all labels on the release build, unit and e2e on the sanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

configure() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DAGW_WERROR=ON "$@" >/dev/null
}

# The official openai npm package, for the SDK end-to-end test.
[ -d tests/node/node_modules/openai ] || (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)

configure build -DCMAKE_BUILD_TYPE=Release
ninja -C build -j "$jobs"
configure build-asan -DCMAKE_BUILD_TYPE=Debug -DAGW_SANITIZE=ON
ninja -C build-asan -j "$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One PostgreSQL for the whole run (tests create their own databases on it when they need
# a fresh one); stopped on exit, even when tests fail.
services_dir=$(mktemp -d /tmp/agw-test-services-XXXXXX)
chmod 755 "$services_dir"
trap 'scripts/services.sh stop-postgres "$services_dir/pg"; rm -rf "$services_dir"' EXIT
AGW_TEST_DATABASE_URL=$(scripts/services.sh start-postgres "$services_dir/pg")
export AGW_TEST_DATABASE_URL

status=0
echo "== release build: every test =="
(cd build && ctest --output-on-failure -j 1) || status=1
echo "== ASan+UBSan build: unit and e2e tests =="
(cd build-asan && ctest --output-on-failure -j 1 -L 'unit|e2e') || status=1
exit $status
