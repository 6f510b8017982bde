#!/usr/bin/env bash
# Configures and builds Firstspike (Release) in build/ (or $FIRSTSPIKE_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${FIRSTSPIKE_BUILD_DIR:-build}"
GENERATOR=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$BUILD_DIR/Makefile" ]; then
  GENERATOR=(-G Ninja)
fi
cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD_DIR" -j"$(nproc)"
