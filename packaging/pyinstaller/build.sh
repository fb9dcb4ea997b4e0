#!/usr/bin/env bash
# Build the one-folder app with PyInstaller, then smoke-test the built binary:
# its --version, and a verify of a freshly written demo bundle. Too slow for every CI run.
# Usage: packaging/pyinstaller/build.sh   (from anywhere; uses .venv if present)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
py="$repo/.venv/bin/python"; [ -x "$py" ] || py=python3
"$py" -m pip install -q "pyinstaller>=6.10" pillow
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
start=$(date +%s)
"$py" -m PyInstaller --noconfirm --clean --distpath "$repo/dist" --workpath "$work/build" \
  "$repo/packaging/pyinstaller/swarmview.spec" >"$work/pyinstaller.log" 2>&1 || { tail -40 "$work/pyinstaller.log"; exit 1; }
end=$(date +%s)
app="$repo/dist/swarmview/swarmview"
echo "built in $((end-start)) s, $(du -sh "$repo/dist/swarmview" | cut -f1)"
"$app" --version
run=$("$app" demo "$work/demo")
echo "demo: $run"
QT_QPA_PLATFORM=offscreen "$app" verify "$run"
echo "frozen app verified the demo bundle (exit $?)"
