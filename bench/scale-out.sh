#!/usr/bin/env bash
# Throughput of tracelens-spark gather and geometry with 1 and 2 local executors (local[1], local[2]), beside the
# single-process commands on the same data (docs/scale-out.md). Gather: 2,400 texts (SST-2, CoLA, TweetEval from
# ../shared), MiniLM, all 7 layers, mean pooling. Geometry: a synthetic store of 200,000 x 384 float32 rows in 16
# shards (bench/make_synthetic_store.py). Usage: bench/scale-out.sh [WORKDIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/target/scale-out}"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
/usr/bin/python3 - "$root/../shared" <<'PY'
import json, sys
d = sys.argv[1]
sst = [l.rstrip("\n").split("\t")[1] for l in open(d + "/data/sst2/train.tsv")][1:801]
cola = [l.rstrip("\n").split("\t")[0] for l in open(d + "/data/cola/train.tsv")][1:801]
tw = [l.strip() for l in open(d + "/data/tweeteval-offensive/train_text.txt") if l.strip()][:800]
with open("corpus.jsonl", "w") as f:
    for i in range(800):
        for text, src in ((sst[i], "sst2"), (cola[i], "cola"), (tw[i], "tweets")):
            f.write(json.dumps({"text": text, "source": src}) + "\n")
PY
/usr/bin/python3 "$root/bench/make_synthetic_store.py" syn 200000 384 16
tl="$root/tracelens"; ts="$root/tracelens-spark"
"$tl" --version >/dev/null; "$ts" --version >/dev/null 2>&1  # build both before timing
secs() { local t0=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $t0" | bc; }
echo "| work | how | seconds (wall, whole process) |"
echo "|---|---|---|"
echo "| gather 2,400 texts | tracelens activations --shard-rows 1000 | $(secs "$tl" activations --input corpus.jsonl --out local-store --shard-rows 1000 --quiet) |"
for n in 1 2; do
  rm -rf "s$n"
  echo "| gather 2,400 texts | tracelens-spark gather --master local[$n] --partitions 4 | $(secs "$ts" gather --master "local[$n]" --input corpus.jsonl --out "s$n" --partitions 4 --shard-rows 1000 --quiet) |"
done
echo "| geometry 200,000 x 384 | tracelens geometry --max-id-points 0 | $(secs "$tl" geometry --input syn --max-id-points 0 --quiet) |"
for n in 1 2; do
  echo "| geometry 200,000 x 384 | tracelens-spark geometry --master local[$n] | $(secs "$ts" geometry --master "local[$n]" --store syn --quiet) |"
done
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
