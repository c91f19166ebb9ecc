#!/usr/bin/env bash
# Runs the gateway on :8010 (PORT overrides) with the mock provider unless configured otherwise.
set -euo pipefail
bin=${1:-build/ai-gateway}
exec "$bin" serve
