#!/usr/bin/env bash
# ILM on 400 samples x 24 layers x 896 dims from an activation file: `tracelens ilm` (whole command, JVM start
# included) vs the original's rule with scikit-learn (PCA + LogisticRegression): its compute time (imports excluded)
# and its whole process (Python start and imports included), the same scope as ours.
# Usage: bench/ilm.sh [rounds] (default 3). Needs Debian's python3-sklearn.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
work="$(mktemp -d)"
/usr/bin/python3 bench/ilm_sklearn.py make "$work/acts.safetensors"
./tracelens ilm --activations "$work/acts.safetensors" --quiet > /dev/null  # builds if needed, warms the digest cache
for i in $(seq "$rounds"); do
  start=$(date +%s.%N)
  ./tracelens ilm --activations "$work/acts.safetensors" --json --quiet > "$work/ours.json"
  ours=$(echo "$(date +%s.%N) - $start" | bc)
  start=$(date +%s.%N)
  peer=$(/usr/bin/python3 bench/ilm_sklearn.py run "$work/acts.safetensors")
  whole=$(echo "$(date +%s.%N) - $start" | bc)
  echo "round $i: tracelens ${ours}s (best layer $(python3 -c "import json;print(json.load(open('$work/ours.json'))['selection']['best_llm_layer'])")); scikit-learn $(python3 -c "import json,sys;d=json.loads(sys.argv[1]);print('%.2fs computing, %.2fs whole process (best layer %d)'%(d['seconds'],float(sys.argv[2]),d['best']))" "$peer" "$whole")"
done
rm -rf "$work"
