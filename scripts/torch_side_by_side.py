#!/opt/refpy/bin/python
"""Fine-tuning and Fine-mixing in PyTorch + transformers beside finemix, on the same sentences.

Not part of CI (it needs torch: `scripts/torch-env.sh` makes the venv). It takes a victim folder written by `finemix attack` and the
split that victim records, exported with `finemix data --victim DIR --export SPLIT`, runs each
defence in both engines with the same recipe and seeds, and prints ACC / ASR side by side:

  mixing    θ = θ_pre + m ⊙ (θ_victim − θ_pre), m ~ Bernoulli(ρ) per weight (every float tensor but
            the classifier head, which is kept from the victim); ρ = 1 is plain Fine-tuning
  training  the first N sentences of clean-pool.tsv, E epochs, batch 16 shuffled per epoch,
            AdamW lr 5e-5 (weight decay 0.01, none on biases and LayerNorm weights), linear decay
            without warm-up, clipping at norm 1.0, dropout on, batches padded to their longest
  measured  ACC on test.tsv, ASR = share of asr-test.tsv predicted as the target label

The two engines draw different masks, shuffles and dropout from the same seed numbers, so they
agree within seed noise, not digit for digit (the digit-for-digit checks are the fixture tests).

Usage:
  finemix data --victim VICTIM --export SPLIT
  scripts/torch_side_by_side.py --victim VICTIM --pre PRE --split SPLIT [--finemix .build/release/finemix]
      [--clean 64] [--rho 0.3] [--seeds 1,2,3] [--epochs 10] [--methods finetune,finemix]
"""
import argparse, csv, json, os, subprocess, sys, tempfile, time
os.environ["HF_HUB_OFFLINE"] = "1"
import torch
from transformers import BertForSequenceClassification, BertTokenizerFast, get_linear_schedule_with_warmup

torch.set_num_threads(2)


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    header, body = rows[0], rows[1:]
    t, l = header.index("text"), header.index("label")
    return [r[t] for r in body], [int(r[l]) for r in body]


def batches(tok, texts, labels, size, max_length, order):
    for i in range(0, len(order), size):
        idx = order[i:i + size]
        enc = tok([texts[j] for j in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        yield enc, torch.tensor([labels[j] for j in idx])


def predict(model, tok, texts, max_length):
    model.eval()
    out = []
    with torch.no_grad():
        for enc, _ in batches(tok, texts, [0] * len(texts), 64, max_length, list(range(len(texts)))):
            out += model(**enc).logits.argmax(-1).tolist()
    return out


def mixed(victim, pre, rho, seed):
    """The victim with each weight kept with probability rho, else the pre-trained value."""
    g = torch.Generator().manual_seed(seed)
    pre_state = {k[len("bert."):] if k.startswith("bert.") else k: v for k, v in pre.state_dict().items()}
    state = victim.state_dict()
    for name, w in state.items():
        key = name[len("bert."):] if name.startswith("bert.") else name
        if not w.is_floating_point() or name.startswith("classifier.") or key not in pre_state:
            continue
        keep = torch.rand(w.shape, generator=g) < rho
        state[name] = torch.where(keep, w, pre_state[key].to(w.dtype))
    victim.load_state_dict(state)
    return victim


def train_step(model, opt, sched, enc, y):
    """One step of finemix's recipe: cross-entropy, clipping at 1.0, AdamW, the schedule."""
    loss = torch.nn.functional.cross_entropy(model(**enc).logits, y)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()


def torch_point(a, rho, seed, clean, test, asr, target):
    torch.manual_seed(seed)
    tok = BertTokenizerFast.from_pretrained(a.victim)
    model = BertForSequenceClassification.from_pretrained(a.victim, attn_implementation="eager")
    if rho < 1:
        pre = BertForSequenceClassification.from_pretrained(a.pre, num_labels=model.config.num_labels)
        model = mixed(model, pre, rho, seed)
    texts, labels = clean
    steps = a.epochs * ((len(texts) + a.batch - 1) // a.batch)
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm.weight" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm.weight" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=a.lr)
    sched = get_linear_schedule_with_warmup(opt, 0, steps)
    start = time.time()
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(seed * 1000 + epoch)).tolist()
        for enc, y in batches(tok, texts, labels, a.batch, a.max_length, order):
            train_step(model, opt, sched, enc, y)
    train_s = time.time() - start
    p = predict(model, tok, test[0], a.max_length)
    acc = sum(int(x == y) for x, y in zip(p, test[1])) / len(p)
    q = predict(model, tok, asr[0], a.max_length)
    return acc, sum(int(x == target) for x in q) / len(q), train_s, time.time() - start


def finemix_point(a, rho, seed):
    method = ["--method", "finetune"] if rho >= 1 else ["--method", "finemix", "--rho", str(rho)]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [a.finemix, "defend", "--victim", a.victim, "--pre", a.pre, "--clean-size", str(a.clean),
               "--epochs", str(a.epochs), "--seed", str(seed), "--batches", "shuffled", "--json", "--out", os.path.join(tmp, "defended")] + method
        start = time.time()
        out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"finemix failed: {' '.join(cmd)}\n{out.stderr}")
    r = json.loads(out.stdout)
    return r["after"]["acc"], r["after"]["asr"], time.time() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--victim", required=True)
    ap.add_argument("--pre", required=True)
    ap.add_argument("--split", required=True, help="a folder written by finemix data --victim VICTIM --export")
    ap.add_argument("--finemix", help="the finemix binary; without it only PyTorch runs")
    ap.add_argument("--clean", type=int, default=64)
    ap.add_argument("--rho", type=float, default=0.3)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--methods", default="finetune,finemix", help="which of finetune,finemix to run")
    a = ap.parse_args()
    about = json.load(open(os.path.join(a.split, "split.json")))
    target = about["poison"]["target"]
    pool = read_tsv(os.path.join(a.split, "clean-pool.tsv"))
    clean = (pool[0][:a.clean], pool[1][:a.clean])
    test, asr = read_tsv(os.path.join(a.split, "test.tsv")), read_tsv(os.path.join(a.split, "asr-test.tsv"))
    print(f"victim {a.victim}; {a.clean} clean, {len(test[0])} test, {len(asr[0])} triggered; target {target}")
    print("| method | seed | PyTorch ACC / ASR % | finemix ACC / ASR % | PyTorch s | finemix s |")
    print("|---|---:|---:|---:|---:|---:|")
    methods = [(1.0, "Fine-tuning", "finetune"), (a.rho, f"Fine-mixing ρ={a.rho}", "finemix")]
    for rho, name, _ in [m for m in methods if m[2] in a.methods.split(",")]:
        for seed in [int(s) for s in a.seeds.split(",")]:
            acc, asr_rate, _, total = torch_point(a, rho, seed, clean, test, asr, target)
            print(f"  PyTorch {name} seed {seed}: ACC {100 * acc:.1f} ASR {100 * asr_rate:.1f} in {total:.0f} s", file=sys.stderr, flush=True)
            ours = finemix_point(a, rho, seed) if a.finemix else None
            fm = f"{100 * ours[0]:.1f} / {100 * ours[1]:.1f}" if ours else "–"
            fs = f"{ours[2]:.0f}" if ours else "–"
            print(f"| {name} | {seed} | {100 * acc:.1f} / {100 * asr_rate:.1f} | {fm} | {total:.0f} | {fs} |", flush=True)


if __name__ == "__main__":
    main()
