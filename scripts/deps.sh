#!/usr/bin/env bash
# Installs the Debian 12 packages the gateway needs to build, run and test; installs nothing
# that is already present. Usage: scripts/deps.sh [build|test]
set -euo pipefail
mode=${1:-build}

packages=(g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libssl-dev nlohmann-json3-dev libspdlog-dev prometheus-cpp-dev libcli11-dev
  libpqxx-dev libhiredis-dev libsqlite3-dev ca-certificates)
if [ "$mode" = test ]; then
  packages+=(libgtest-dev postgresql redis-server prometheus wrk nginx-light openssl curl)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# Node.js (for the official openai SDK client test) may come from Debian or elsewhere.
if [ "$mode" = test ] && ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
