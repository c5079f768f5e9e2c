#!/usr/bin/env bash
# Fault figures for RELIABILITY.md: kill -9 and --resume, disk full and read-only outputs, kills during the final
# write. Needs root (mounts small tmpfs file systems) and ../shared. About 15 minutes on 2 cores (the disk phase alone,
# PHASES=disk KILLS=0 TEXTS=200, about 2 minutes).
# Usage: [KILLS=20] [SEED=15] scripts/faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./tracelens sites --quiet >/dev/null  # builds the jar first
exec /usr/bin/python3 scripts/faults.py
