#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/images/) from the application's own --screenshot:
# trains STEPS mini-batches (default 6000, about 8 epochs) on the embedded digits offscreen, saves the main window,
# then the window on its Inspect tab, with a digit drawn on the pad, and on its Runs tab (after a
# small sweep). Run after scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${FIRSTSPIKE_BUILD_DIR:-build}"
STEPS="${1:-6000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p docs/images
# The Runs tab's runs: a 12-run sweep of small networks on part of the embedded digits (about a
# minute), plus the screenshot's own run, recorded live.
"$BUILD_DIR/app/firstspike-cli" sweep --runs-dir "$work/runs" --name demo --grid hidden=50,100,200 \
  --grid decision-cost=0,0.1 --grid encoding=latency,binary --epochs 4 --train-limit 3000 --jobs 2 >/dev/null
FIRSTSPIKE_RUNS_DIR="$work/runs" QT_QPA_PLATFORM=offscreen "$BUILD_DIR/app/firstspike" --no-settings --seed 1 \
  --size 1400x860 --steps "$STEPS" --screenshot "$work/main-window.png" --views "$work/view"
cp "$work/main-window.png" docs/images/main-window.png
cp "$work/view-inspect.png" docs/images/inspect.png
cp "$work/view-draw.png" docs/images/draw.png
cp "$work/view-runs.png" docs/images/runs.png
echo "wrote docs/images/main-window.png, inspect.png, draw.png and runs.png"
