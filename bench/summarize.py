"""The table of bench/all.sh from its log: one row per comparison, tracelens against its peer, as a ratio (> 1 means
tracelens is faster), and the CPU with its vector extensions."""
import re, sys, statistics

log = open(sys.argv[1]).read()
rows = []


def add(work, ours, peer, unit, higher_is_better):
    if not ours or not peer:
        rows.append((work, "missing", "missing", "-", "-"))
        return
    o, p = statistics.median(ours), statistics.median(peer)
    ratio = o / p if higher_is_better else p / o
    # rounds alternate the two sides, so round i of each is a pair: the spread of the pairs' ratios shows how far a
    # single run of the table can move a row (these machines are shared; 10-20% between runs is common)
    pairs = [(a / b if higher_is_better else b / a) for a, b in zip(ours, peer)] if len(ours) == len(peer) > 1 else []
    spread = "%.2f-%.2fx (%d rounds)" % (min(pairs), max(pairs), len(pairs)) if pairs else "-"
    rows.append((work, "%s %s" % (fmt(o), unit), "%s %s" % (fmt(p), unit), "%.2fx" % ratio, spread))


def fmt(x):
    return "%.0f" % x if x >= 100 else "%.2f" % x


def floats(pattern):
    return [float(m) for m in re.findall(pattern, log)]


add("MiniLM, all 7 hidden states, 1,024 texts, 2 threads", floats(r"tracelens \(DJL/PyTorch\): (\d+) tokens/s"),
    floats(r"ONNX Runtime\s+: (\d+) tokens/s"), "tok/s", True)
add("IsoScore + IsoScore*, 100,000 x 768", floats(r"IsoScore \+ IsoScore\* \S+: tracelens \S+ / \S+ in ([\d.]+) s"),
    floats(r"IsoScore \+ IsoScore\* \S+: .*NumPy \S+ \S+ / \S+ in ([\d.]+) s"), "s", False)
add("TwoNN, 20,000 x 384", floats(r"TwoNN \S+: tracelens \S+ in ([\d.]+) s"), floats(r"TwoNN \S+: .*NearestNeighbors \S+ in ([\d.]+) s"), "s", False)
for metric in ("euclidean", "cosine"):
    add("silhouette, 10,000 x 384, %s" % metric, floats(metric + r" \S+, \d+ labels: tracelens \S+ in ([\d.]+) s"),
        floats(metric + r" \S+, \d+ labels: .*scikit-learn \S+ \S+ in ([\d.]+) s"), "s", False)
add("SIP MLP training steps, 1 thread", floats(r"tracelens: \d+ steps in \S+ s = (\d+) steps/s \(threads 1"),
    floats(r"pytorch \S+: \d+ steps in \S+ s = (\d+) steps/s \(threads 1"), "steps/s", True)
for t in ("1", "2"):
    add("110M Llama forward, all hidden states, %s thread%s" % (t, "s" if t == "2" else ""),
        floats(r"tracelens forward: threads=%s .*median (\d+) tokens/s" % t), floats(r"pytorch \S+ forward: threads=%s .*median (\d+) tokens/s" % t),
        "tok/s", True)
add("ILM, 400 x 24 layers x 896, whole command", floats(r"tracelens ([\d.]+)s \(best"), floats(r"computing, ([\d.]+)s whole process"), "s", False)
for t in ("1", "2"):
    add("ResNet-18 gradient map, %s thread%s" % (t, "s" if t == "2" else ""),
        floats(r"tracelens plain\s*: ([\d.]+) s per map.*threads %s\b" % t), floats(r"pytorch \S+ plain\s*: ([\d.]+) s per map.*threads %s\b" % t),
        "s", False)

cpu = "unknown"
flags = ""
for line in open("/proc/cpuinfo"):
    if line.startswith("model name") and cpu == "unknown":
        cpu = line.split(":", 1)[1].strip()
    if line.startswith("flags") and not flags:
        f = line.split(":", 1)[1].split()
        flags = " ".join(x for x in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if x in f)
total = re.findall(r"### total (\d+) s", log)
print("CPU: %s (%s); %s cores; bench/all.sh took %s s" % (cpu, flags, __import__("os").cpu_count(), total[-1] if total else "?"))
# the peers' BLAS decides their speed (Debian's NumPy and PyTorch load whichever libblas.so.3 the system selects:
# OpenBLAS with libopenblas0-pthread, else another, such as the much slower reference BLAS), so the table names it
blas = __import__("os").path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
print("Peers' BLAS: %s" % blas)
print("| work | tracelens (median) | peer (median) | ratio (>1: tracelens faster) | paired rounds |\n|---|---|---|---|---|")
for r in rows:
    print("| %s | %s | %s | %s | %s |" % r)
failed = re.findall(r"### failed: (.*)", log)
if failed:
    print("failed: " + "; ".join(failed))
