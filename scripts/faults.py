"""Fault figures for RELIABILITY.md (issue 15 outcome 4), run by scripts/faults.sh as root (it mounts tmpfs).

1. kill -9 at random points of `activations --resume` and `sip gather` (the resumable commands), then resume; the
   result must equal an uninterrupted run (tensor bytes and metadata, but the provenance's creation time).
2. Disk full (a full 1 MiB tmpfs) and a read-only mount, for every command that writes a file: exit 2, one line naming
   the path, nothing left behind on the mount.
3. kill -9 of `activations` over an existing output at random points: the output is always the complete old file or
   a complete new one.
"""
import json, os, random, shutil, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TL = os.path.join(ROOT, "tracelens")
SHARED = os.environ.get("TRACELENS_SHARED", os.path.join(ROOT, "..", "shared"))
STORIES = os.path.join(SHARED, "models", "stories260K", "stories260K.bin")
rng = random.Random(int(os.environ.get("SEED", "15")))
KILLS = int(os.environ.get("KILLS", "20"))


def run(args, **kw):
    return subprocess.run([TL] + args, capture_output=True, text=True, **kw)


def safetensors_view(path, folder=None):
    """(metadata without provenance's 'created', tensor headers, data bytes) of a safetensors file; the file's own
    folder, named in the metadata (a cache names its samples file), is written as '.'."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        text = f.read(n).decode()
        if folder:
            text = text.replace(folder, ".")
        header = json.loads(text)
        data = f.read()
    meta = header.pop("__metadata__", {})
    if "provenance" in meta:
        p = json.loads(meta["provenance"])
        p.pop("created", None)
        meta["provenance"] = p
    return meta, header, data


def note(msg):
    print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)


def kill_at(args, delay):
    p = subprocess.Popen([TL] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(delay)
    if p.poll() is None:
        os.killpg(p.pid, 9)
        p.wait()
        return True
    return False


def texts(path, n):
    words = "the a of to and in is was it for on with as by at from this that be are or an".split()
    with open(path, "w") as f:
        for i in range(n):
            r = random.Random(i)
            f.write(" ".join(r.choice(words) for _ in range(r.randint(8, 60))) + "\n")


def kill_and_resume(work):
    rows = []
    inp = os.path.join(work, "texts.txt")
    texts(inp, int(os.environ.get("TEXTS", "1200")))
    ref = os.path.join(work, "ref.safetensors")
    t0 = time.time()
    r = run(["activations", "--input", inp, "--out", ref, "--layers", "0,3,6", "--quiet"])
    assert r.returncode == 0, r.stderr
    full = time.time() - t0
    note("activations uninterrupted: %.1f s" % full)
    out = os.path.join(work, "resumed.safetensors")
    args = ["activations", "--input", inp, "--out", out, "--layers", "0,3,6", "--resume", "--quiet"]
    killed = 0
    for _ in range(KILLS):
        killed += kill_at(args, rng.uniform(0.5, full))
        if os.path.exists(out):  # finished before the kill: start over for the next point
            os.remove(out)
    r = run(args)
    same = r.returncode == 0 and safetensors_view(out) == safetensors_view(ref)
    rows.append(("activations --resume (%d texts, MiniLM, %.0f s uninterrupted)" % (int(os.environ.get("TEXTS", "1200")), full), killed, same))

    corpus = os.path.join(work, "corpus.jsonl")
    lines = open(inp).read().split("\n")
    with open(corpus, "w") as f:  # 6 sources x 30 documents of about 350 words
        for i in range(180):
            f.write(json.dumps({"text": " ".join(lines[i * 10:(i + 1) * 10]), "source": "s%d" % (i % 6)}) + "\n")
    gref = os.path.join(work, "gather-ref")
    t0 = time.time()
    r = run(["sip", "gather", "--corpus", corpus, "--out", gref, "--quiet"])
    assert r.returncode == 0, r.stderr
    full = time.time() - t0
    note("sip gather uninterrupted: %.1f s" % full)
    gout = os.path.join(work, "gather")
    args = ["sip", "gather", "--corpus", corpus, "--out", gout, "--quiet"]
    killed = 0
    for _ in range(KILLS):
        killed += kill_at(args, rng.uniform(0.5, full))
        if os.path.exists(os.path.join(gout, "activations.safetensors")):
            shutil.rmtree(gout)
    r = run(args)
    same = r.returncode == 0 and safetensors_view(os.path.join(gout, "activations.safetensors"), gout) == safetensors_view(
        os.path.join(gref, "activations.safetensors"), gref) and open(os.path.join(gout, "samples.jsonl")).read() == open(
        os.path.join(gref, "samples.jsonl")).read()
    rows.append(("sip gather (6 sources x 30 documents, %.0f s uninterrupted)" % full, killed, same))
    return rows


def mount(path, opts):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", path], check=True)


def writers(work, d):
    """(name, argv) of every command that writes, with its output on the mount d."""
    inp = os.path.join(work, "small.txt")
    texts(inp, 400)
    corpus = os.path.join(work, "corpus.jsonl")
    acts = os.path.join(work, "labelled.safetensors")
    if not os.path.exists(acts):
        r = run(["activations", "--input", corpus, "--out", acts, "--quiet"])
        assert r.returncode == 0, r.stderr
    pts = os.path.join(work, "points.csv")
    with open(pts, "w") as f:
        r = random.Random(3)
        for _ in range(3000):
            f.write(",".join("%.4f" % r.gauss(0, 1) for _ in range(32)) + "\n")
    task = os.path.join(work, "task.csv")
    with open(task, "w") as f:
        f.write("text,label\n" + "".join("%s,%d\n" % (l.strip().replace(",", " "), i % 2) for i, l in enumerate(open(inp)) if i < 40))
    prompts = os.path.join(work, "prompts.txt")
    with open(prompts, "w") as f:
        f.write("Once upon a time\nThe cat\n")
    imgs, cnn, run_ref = os.path.join(work, "canvases"), os.path.join(work, "cnn"), os.path.join(work, "run-ref")
    for path, argv in [
        (imgs, ["canvases", "--out", imgs, "--count", "40"]),
        (cnn, ["train-cnn", "--arch", "resnet18", "--width", "8", "--train", "200", "--validation", "50", "--test", "50",
               "--epochs", "1", "--out", cnn]),
        (run_ref, ["sip", "run", "--corpus", corpus, "--layers", "0", "--epochs", "2", "--out", run_ref])]:
        if not os.path.exists(path):
            r = run(argv + ["--quiet"])
            assert r.returncode == 0, r.stderr
    mats = {}
    for name, rows, cols in [("carriers", 10, 8), ("classifier", 10, 8), ("reference", 60, 8), ("suspect", 60, 8)]:
        mats[name] = os.path.join(work, name + ".csv")
        with open(mats[name], "w") as f:
            g = random.Random(name)
            f.write("".join(",".join("%.5f" % g.gauss(0, 1) for _ in range(cols)) + "\n" for _ in range(rows)))
    identifier = os.path.join(run_ref, "identifiers", "layer0-linear.safetensors")
    return [
        ("activations", ["activations", "--input", inp, "--out", d + "/a.safetensors"]),
        ("activations --resume", ["activations", "--input", inp, "--out", d + "/a.safetensors", "--resume"]),
        ("sip gather", ["sip", "gather", "--corpus", corpus, "--out", d + "/gather"]),
        ("sip train --out", ["sip", "train", "--cache", os.path.join(work, "gather-ref"), "--out", d + "/train.json", "--epochs", "1"]),
        ("ilm --out", ["ilm", "--activations", acts, "--out", d + "/ilm"]),
        ("generate --out", ["generate", "--model", STORIES, "--prompts", prompts, "--max-tokens", "200", "--out", d + "/gen.jsonl"]),
        ("finetune-lm --out", ["finetune-lm", "--model", STORIES, "--data", inp, "--epochs", "1", "--out", d + "/lm.safetensors"]),
        ("canvases --out", ["canvases", "--out", d + "/canvases", "--count", "2000"]),
        ("sip run --out", ["sip", "run", "--corpus", corpus, "--layers", "0", "--epochs", "2", "--out", d + "/run"]),
        ("sip identify --out", ["sip", "identify", "--corpus", corpus, "--text", "a test text", "--epochs", "2", "--out", d + "/id"]),
        ("finetune --out --save", ["finetune", "--task", task, "--epochs", "1", "--max-tokens", "16", "--out", d + "/ft.json",
                                   "--save", d + "/ft-model"]),
        ("radioactive train-head --out", ["radioactive", "train-head", "--embeddings", acts, "--epochs", "2",
                                          "--out", d + "/head.safetensors"]),
        ("radioactive mark-embeddings --out", ["radioactive", "mark-embeddings", "--embeddings", acts, "--fraction", "0.1",
                                               "--out", d + "/marked.safetensors"]),
        ("sip report --out", ["sip", "report", "--out", d + "/report.html", run_ref]),
        ("sip predict --out", ["sip", "predict", "--identifier", identifier, "--input", inp, "--out", d + "/pred.jsonl"]),
        ("train-cnn --out", ["train-cnn", "--arch", "resnet18", "--width", "8", "--train", "100", "--validation", "20",
                             "--test", "20", "--epochs", "1", "--out", d + "/cnn"]),
        ("saliency --out", ["saliency", "--model", cnn, "--arch", "resnet18", "--images", imgs + "/3", "--input-size", "64",
                            "--normalize", "canvas", "--out", d + "/saliency"]),
        ("parchgrad evaluate --out", ["parchgrad", "evaluate", "--model", cnn, "--images", "4", "--stats-images", "40",
                                      "--methods", "grad", "--out", d + "/evaluate.json"]),
        ("parchgrad toy --svg", ["parchgrad", "toy", "--svg", d + "/toy.svg"]),
        ("pifi train --out", ["pifi", "train", "--slm", "minilm", "--llm", STORIES, "--llm-layer", "0", "--task", task,
                              "--epochs", "1", "--max-tokens", "16", "--out", d + "/pifi.json"]),
        ("radioactive mark --out (folder and key)", ["radioactive", "mark", "--model", cnn, "--images", imgs, "--fraction", "0.5",
                                                     "--iterations", "2", "--out", d + "/marked"]),
        ("radioactive mark --key (folder elsewhere)", ["radioactive", "mark", "--model", cnn, "--images", imgs, "--fraction", "0.5",
                                                       "--iterations", "2", "--out", os.path.join(work, "marked-elsewhere"),
                                                       "--key", d + "/key.safetensors"]),
        ("radioactive detect --aligned-out", ["radioactive", "detect", "--carriers", mats["carriers"], "--classifier",
                                              mats["classifier"], "--reference-features", mats["reference"],
                                              "--suspect-features", mats["suspect"], "--aligned-out", d + "/aligned.csv"]),
        ("demo --out", ["demo", "--out", d + "/demo", "--samples-per-source", "4", "--epochs", "2"]),
    ]


def disk_faults(work):
    rows = []
    for kind, opts in [("disk full (a full 1 MiB tmpfs)", "size=1m"), ("read-only mount", "ro,size=1m")]:
        d = os.path.join(work, "mnt")
        for name, argv in writers(work, d):
            note("%s: %s" % (kind, name))
            mount(d, opts)
            try:
                if not opts.startswith("ro"):  # fill it: every byte a command writes then fails
                    subprocess.run(["dd", "if=/dev/zero", "of=" + d + "/.filler", "bs=4k"], capture_output=True)
                r = run(argv)
                err = [l for l in r.stderr.splitlines() if l.startswith("error") or l.startswith("internal error")]
                left = sorted(f for f in os.listdir(d) if f != ".filler")
                left += [p for p in [os.path.join(work, "marked-elsewhere")] if os.path.exists(p)]  # nothing elsewhere either
                ok = r.returncode == 2 and len(err) == 1 and d in err[0] and not left
                rows.append((kind, name, r.returncode, err[0] if err else r.stderr.strip()[-200:], left, ok))
            finally:
                subprocess.run(["umount", d], check=True)
    return rows


def final_write(work):
    inp = os.path.join(work, "texts.txt")
    out = os.path.join(work, "over.safetensors")
    r = run(["activations", "--input", os.path.join(work, "small.txt"), "--out", out, "--layers", "1", "--quiet"])
    assert r.returncode == 0
    old = open(out, "rb").read()
    t0 = time.time()
    r = run(["activations", "--input", inp, "--out", out, "--layers", "0,3,6", "--quiet"])
    full = time.time() - t0
    new = safetensors_view(out)
    outcomes = {"old": 0, "new": 0, "other": 0}
    for _ in range(KILLS):
        open(out, "wb").write(old)
        kill_at(["activations", "--input", inp, "--out", out, "--layers", "0,3,6", "--quiet"], rng.uniform(0.8 * full, 1.4 * full))
        b = open(out, "rb").read()
        if b == old:
            outcomes["old"] += 1
        else:
            try:
                outcomes["new" if safetensors_view(out) == new else "other"] += 1
            except Exception:
                outcomes["other"] += 1
    return full, outcomes


def main():
    if os.geteuid() != 0:
        sys.exit("scripts/faults.sh mounts tmpfs file systems: run it as root (or in a container)")
    work = tempfile.mkdtemp(prefix="tracelens-faults-")
    phases = os.environ.get("PHASES", "kill,disk,final").split(",")
    if "kill" in phases or "disk" in phases:  # the disk phase uses the kill phase's corpus and gather cache
        print("## kill -9 and --resume (%d kills each)" % KILLS)
        print("| command | kills that landed mid-run | resumed result equal to an uninterrupted run |\n|---|---|---|")
        for name, killed, same in kill_and_resume(work):
            print("| %s | %d | %s |" % (name, killed, "yes" if same else "**no**"))
    if "disk" not in phases:
        return
    print("\n## Disk full and read-only output\n| fault | command | exit | message | left on the mount | as required |\n|---|---|---|---|---|---|")
    for kind, name, code, msg, left, ok in disk_faults(work):
        print("| %s | %s | %d | %s | %s | %s |" % (kind, name, code, msg.replace("|", "\\|"), left or "nothing", "yes" if ok else "**no**"))
    if "final" not in phases:
        return
    full, outcomes = final_write(work)
    print("\n## kill -9 near the final write (%d kills between 80%% and 140%% of a %.0f s run)" % (KILLS, full))
    print("complete old output: %d, complete new output: %d, anything else: %d" % (outcomes["old"], outcomes["new"], outcomes["other"]))
    shutil.rmtree(work, ignore_errors=True)


main()
