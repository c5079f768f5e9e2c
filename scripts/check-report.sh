#!/usr/bin/env bash
# Renders a tracelens HTML report in headless Chromium (Debian: apt-get install chromium), fails on any
# JavaScript console error or if a chart did not draw, and saves a screenshot.
# Usage: scripts/check-report.sh REPORT.html [SCREENSHOT.png]
set -euo pipefail
report="$(realpath "$1")"
shot="${2:-${report%.html}.png}"
command -v chromium >/dev/null || { echo "error: chromium is not installed (apt-get install chromium)" >&2; exit 2; }
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --virtual-time-budget=15000)
log="$(mktemp)"
dom="$(timeout 120 chromium "${flags[@]}" --user-data-dir="$(mktemp -d)" --enable-logging=stderr --v=0 --dump-dom "file://$report" 2>"$log")"
charts=$(grep -o 'id="chart[0-9]*"' <<<"$dom" | wc -l)
svgs=$(grep -o '<svg[^>]*class="marks"' <<<"$dom" | wc -l)
errors=$(grep -c 'CONSOLE.*\(Uncaught\|Error\)' "$log" || true)
timeout 120 chromium "${flags[@]}" --user-data-dir="$(mktemp -d)" --window-size=1280,3000 --screenshot="$shot" "file://$report" 2>/dev/null
echo "$report: $charts charts, $svgs drawn as SVG, $errors console errors; screenshot $shot"
if [ "$errors" -gt 0 ]; then grep 'CONSOLE' "$log" >&2; exit 1; fi
[ "$svgs" -ge "$charts" ] && [ "$charts" -gt 0 ] || { echo "error: not every chart was drawn" >&2; exit 1; }
