#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/images/) from the application's own --screenshot:
# trains STEPS mini-batches (default 6000, about 8 epochs) on the embedded digits offscreen, saves the main window,
# then the window on its Inspect tab, and with a digit drawn on the pad. Run after scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${FIRSTSPIKE_BUILD_DIR:-build}"
STEPS="${1:-6000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p docs/images
QT_QPA_PLATFORM=offscreen "$BUILD_DIR/app/firstspike" --no-settings --seed 1 --size 1400x860 \
  --steps "$STEPS" --screenshot "$work/main-window.png" --views "$work/view"
cp "$work/main-window.png" docs/images/main-window.png
cp "$work/view-inspect.png" docs/images/inspect.png
cp "$work/view-draw.png" docs/images/draw.png
echo "wrote docs/images/main-window.png, docs/images/inspect.png and docs/images/draw.png"
