#!/usr/bin/env bash
# Issue 17, outcome 2: activations of every layer from models shaped like Pythia-1.4B (f16) and Llama-2-7B (bf16),
# random weights written once into a temporary folder and deleted afterwards; resident vs block-streamed where resident
# fits, tokens/s and peak RSS (GNU time). Usage: bench/model-scale.sh [TEXTS] [TOKENS]   (defaults 16 texts x 64 tokens)
# WORK=DIR keeps the weights in DIR (and reuses them when there) instead of a temporary folder deleted at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tl="$root/tracelens"
texts="${1:-16}"
tokens="${2:-64}"
if [ -n "${WORK:-}" ]; then work="$WORK"; mkdir -p "$work"; else
  work="$(mktemp -d "${TMPDIR:-/tmp}/tracelens-scale.XXXXXX")"; trap 'rm -rf "$work"' EXIT; fi
weights() { [ -f "$work/$1/model.safetensors" ] || python3 "$root/bench/model_scale_weights.py" "$1" "$work/$1" > /dev/null; }
python3 - "$texts" "$tokens" > "$work/texts.txt" <<'PY'
import random, sys
r = random.Random(0)
words = "the a cat dog sat ran on mat park ball little big red blue girl boy tree sun day happy".split()
for _ in range(int(sys.argv[1])):
    print(" ".join(r.choice(words) for _ in range(int(sys.argv[2]))))
PY
run() { # label model max-memory
  local log="$work/$1.log"
  /usr/bin/time -v "$tl" activations --model "$2" --input "$work/texts.txt" --layers all --pool mean --max-length "$tokens" \
    --batch-size 8 --max-memory "$3" --out "$work/$1.safetensors" --json > "$work/$1.json" 2> "$log"
  python3 - "$1" "$work/$1.json" "$log" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[2]))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(sys.argv[3]).read()).group(1))
streamed = "block by block" in open(sys.argv[3]).read()
print("| %s | %s | %d | %.1f | %.2f |" % (sys.argv[1], "streamed" if streamed else "resident", j["tokens"],
      j["tokens_per_second"], rss / 1024 / 1024))
PY
}
echo "| model | mode | tokens | tokens/s | peak RSS (GiB) |"
echo "|---|---|---|---|---|"
weights pythia-1.4b
run pythia-1.4b "$work/pythia-1.4b" auto
run pythia-1.4b-streamed "$work/pythia-1.4b" 1g
[ -n "${WORK:-}" ] || rm -rf "$work/pythia-1.4b"
weights llama-7b
run llama-7b "$work/llama-7b" auto
