#!/usr/bin/env python3
"""What makes a clean set effective at unlearning a backdoor (issue 19's clean-set study).

Not part of CI (it trains many models). It draws K clean sets of N sentences from a victim's
exported clean pool (`finemix data --victim VICTIM --export SPLIT`), defends the victim with each
(`finemix defend --clean SET`, the same method, seed and budget every time, so only the clean set
changes), and relates the ASR left to properties of the set a defender can see before training:

  target share   the share of the set labelled with the backdoor's target label
  victim loss    the victim's mean cross-entropy on the set (from `finemix predict`)
  victim wrong   the share of the set the victim misclassifies
  length         the mean length in words

It prints one row per clean set and the Spearman correlation of each property with the ASR left.
Python's standard library only.

Usage:
  scripts/clean_set_study.py --victim VICTIM --split SPLIT [--finemix .build/release/finemix]
      [--sets 16] [--size 64] [--method finetune] [--seed 1] [--out DIR]
"""
import argparse, csv, json, math, os, random, subprocess, sys, tempfile


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    t, l = rows[0].index("text"), rows[0].index("label")
    return [(r[t], int(r[l])) for r in rows[1:]]


def write_tsv(path, rows):
    # The exporter's format: a header, then TEXT<TAB>LABEL, no quoting (its texts hold no tab).
    with open(path, "w", encoding="utf-8") as f:
        f.write("text\tlabel\n")
        for text, label in rows:
            f.write(f"{text}\t{label}\n")


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(xs, ys):
    a, b = ranks(xs), ranks(ys)
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va, vb = sum((x - ma) ** 2 for x in a), sum((y - mb) ** 2 for y in b)
    return cov / math.sqrt(va * vb) if va > 0 and vb > 0 else float("nan")


def victim_probs(a, texts):
    out = subprocess.run([a.finemix, "predict", "--model", a.victim, "--json", "--max-length", "64"],
                         input="\n".join(texts) + "\n", capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"finemix predict failed: {out.stderr}")
    return [json.loads(line)["probs"] for line in out.stdout.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--victim", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--finemix", default=".build/release/finemix")
    ap.add_argument("--sets", type=int, default=16)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--method", default="finetune")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="keep the clean sets and each defence's JSON here")
    a = ap.parse_args()
    target = json.load(open(os.path.join(a.split, "split.json")))["poison"]["target"]
    pool = read_tsv(os.path.join(a.split, "clean-pool.tsv"))
    # Sentences with a tab or newline cannot be one predict line; the exporter never writes them.
    probs = victim_probs(a, [t for t, _ in pool])
    assert len(probs) == len(pool), (len(probs), len(pool))
    loss = [-math.log(max(p[l], 1e-12)) for p, (_, l) in zip(probs, pool)]
    wrong = [int(max(range(len(p)), key=lambda k: p[k]) != l) for p, (_, l) in zip(probs, pool)]
    out_dir = a.out or tempfile.mkdtemp(prefix="clean-set-study-")
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    print(f"victim {a.victim}; {a.sets} clean sets of {a.size} from a pool of {len(pool)}; method {a.method}, seed {a.seed}; target {target}")
    print("| set | ACC % | ASR % | target share | victim loss | victim wrong | length |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for k in range(1, a.sets + 1):
        idx = random.Random(k).sample(range(len(pool)), a.size)
        path = os.path.join(out_dir, f"clean-{k}.tsv")
        write_tsv(path, [pool[i] for i in idx])
        cmd = [a.finemix, "defend", "--victim", a.victim, "--method", a.method, "--clean", path,
               "--clean-size", str(a.size), "--seed", str(a.seed), "--json",
               "--out", os.path.join(out_dir, f"defended-{k}"), "--force"]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"finemix failed: {' '.join(cmd)}\n{run.stderr}")
        r = json.loads(run.stdout)
        with open(os.path.join(out_dir, f"defense-{k}.json"), "w") as f:
            f.write(run.stdout)
        feats = (sum(pool[i][1] == target for i in idx) / a.size, sum(loss[i] for i in idx) / a.size,
                 sum(wrong[i] for i in idx) / a.size, sum(len(pool[i][0].split()) for i in idx) / a.size)
        rows.append((r["after"]["acc"], r["after"]["asr"]) + feats)
        print(f"| {k} | {100 * rows[-1][0]:.1f} | {100 * rows[-1][1]:.1f} | {feats[0]:.2f} | {feats[1]:.3f} | {feats[2]:.3f} | {feats[3]:.1f} |", flush=True)
    asr = [r[1] for r in rows]
    print(f"\nASR left over {len(rows)} clean sets: mean {100 * sum(asr) / len(asr):.1f}%, "
          f"min {100 * min(asr):.1f}%, max {100 * max(asr):.1f}%")
    print("Spearman correlation with the ASR left:")
    for j, name in enumerate(["target share", "victim loss", "victim wrong", "length"]):
        print(f"  {name}: {spearman([r[2 + j] for r in rows], asr):+.2f}")


if __name__ == "__main__":
    main()
