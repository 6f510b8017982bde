#!/usr/bin/env bash
# Fresh machine to running app: install what is missing, build (Release), start Firstspike on
# the embedded MNIST digits. Extra arguments go to the application.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
BUILD_DIR="${FIRSTSPIKE_BUILD_DIR:-build}"
if [ -x "$BUILD_DIR/app/firstspike" ]; then
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    echo "firstspike: no display found; starting under Xvfb (set DISPLAY to use yours)"
    exec xvfb-run -a -s "-screen 0 1920x1080x24" "$BUILD_DIR/app/firstspike" "$@"
  fi
  exec "$BUILD_DIR/app/firstspike" "$@"
fi
# Without the GUI (FIRSTSPIKE_BUILD_GUI=OFF) the command line tool trains on the embedded set.
exec "$BUILD_DIR/app/firstspike-cli" train "$@"
