#!/usr/bin/env bash
# Makes the inputs the README's examples name, in DIR (default: the current folder), so that every command in the
# README runs as written from DIR: example texts and corpora cut from ../shared's SST-2, CoLA and TweetEval files,
# a few hand-written lines, MNIST canvases, small random matrices, and tiny stand-ins for the checkpoints a user would
# bring (./qwen2-folder, ./qwen2-0.5b: a 2-layer Qwen2; ./pythia-70m: a 2-layer GPT-NeoX; resnet18.safetensors: a narrow
# ResNet-18 — the test fixtures of the same layouts; ./my-bert: MiniLM fine-tuned for one epoch and saved). DIR/../shared
# must be ../shared (a link is made when missing). core/src/test/java/tracelens/ReadmeExamplesTest.java runs the README in
# such a folder. Needs python3 (standard library only).
# Usage: scripts/readme-examples.sh [DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-.}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
shared="$(cd "$root/../shared" && pwd)"
[ -e "$dir/../shared" ] || ln -s "$shared" "$dir/../shared"
cd "$dir"
tl="$root/tracelens"
fixtures="$root/core/src/test/resources/fixtures"

python3 - "$shared" <<'PY'
import csv, json, os, random, sys
shared = sys.argv[1]
def tsv(path):
    with open(path, encoding="utf-8") as f:
        rows = [l.rstrip("\n").split("\t") for l in f]
    return rows[0], rows[1:]
_, sst_train = tsv(os.path.join(shared, "data/sst2/train.tsv"))   # label, content
_, sst_dev = tsv(os.path.join(shared, "data/sst2/dev.tsv"))
_, cola = tsv(os.path.join(shared, "data/cola/train.tsv"))         # x, y
tweets = [l.strip() for l in open(os.path.join(shared, "data/tweeteval-offensive/train_text.txt"), encoding="utf-8") if l.strip()]
sst = [r[1] for r in sst_train]
col = [r[0] for r in cola]
with open("texts.txt", "w") as f:
    f.writelines(r[1] + "\n" for r in sst_dev[:40])
with open("data.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["sentence", "label"])
    w.writerows([r[1], r[0]] for r in sst_dev[40:100])
for name, rows in [("sst2.tsv", sst_train[:400]), ("sst2-dev.tsv", sst_dev[100:300])]:
    with open(name, "w") as f:
        f.write("sentence\tlabel\n")
        f.writelines(r[1] + "\t" + r[0] + "\n" for r in rows)
os.makedirs("books", exist_ok=True)
for name, lines in [("reviews", sst[:1500]), ("grammar", col[:2500]), ("tweets", tweets[:1200])]:
    with open(os.path.join("books", name + ".txt"), "w") as f:
        f.writelines(l + "\n" for l in lines)
with open("labelled.jsonl", "w") as f, open("styles.jsonl", "w") as g:
    for i in range(40):
        for source, lines in [("reviews", sst), ("grammar", col), ("tweets", tweets)]:
            f.write(json.dumps({"text": lines[2000 + i], "author": source}) + "\n")
            g.write(json.dumps({"text": lines[3000 + i], "source": source}) + "\n")
with open("stories.txt", "w") as f:
    f.write("Once upon a time, there was a little girl named Lily.\nShe liked to play in the park with her dog.\n"
            "One day, the sun was hot and the sky was blue.\nTom saw a big red ball and wanted to play with it.\n")
with open("prompts.txt", "w") as f:
    f.write("Once upon a time\nThe little dog\nLily and Tom\nOne day\n")
with open("speeches.txt", "w") as f:
    f.write("The state of our Union is strong, and our people are ready for the work ahead.\n"
            "We must balance the budget and lower the burden of taxes on working families.\n"
            "I ask the Congress to pass this bill and send it to my desk.\n")
r = random.Random(0)
def matrix(name, rows, cols):
    with open(name, "w") as f:
        f.writelines(",".join("%.6f" % r.gauss(0, 1) for _ in range(cols)) + "\n" for _ in range(rows))
matrix("key.csv", 10, 16)
matrix("fc.csv", 10, 16)
matrix("suspect-fc.csv", 10, 12)
matrix("marker-feats.csv", 80, 16)
matrix("suspect-feats.csv", 80, 12)
PY

for d in qwen2-folder qwen2-0.5b; do rm -rf "$d"; cp -r "$fixtures/tiny-qwen2" "$d"; rm -f "$d/reference.safetensors"; done
rm -rf pythia-70m; cp -r "$fixtures/tiny-neox" pythia-70m; rm -f pythia-70m/reference.safetensors
cp "$fixtures/cnn/resnet18.safetensors" resnet18.safetensors
rm -rf photos .canvases; "$tl" canvases --out .canvases --count 30 --quiet >/dev/null
mkdir photos; cp .canvases/3/*.png photos/; rm -rf .canvases
rm -rf my-bert; "$tl" finetune --task data.csv --epochs 1 --max-tokens 32 --save my-bert --quiet >/dev/null
# ./tracelens in DIR calls this repository's launcher, so the README's commands run there exactly as written
printf '#!/usr/bin/env bash\nexec %q "$@"\n' "$tl" > tracelens
chmod +x tracelens
echo "README example inputs written to $dir"
