#!/opt/refpy/bin/python
"""`finemix bench --jobs` in PyTorch + transformers (2 threads), on the same sentences and model.

Not part of CI (it needs torch: `scripts/torch-env.sh` makes the venv this file's #! names). Run `finemix bench --jobs --job-data DIR` first: it writes the
attacker's poisoned sentences (train.tsv), the 64 clean ones, test.tsv, asr-test.tsv and the
epoch's model (victim/), and split.json naming the pre-trained MiniLM. Then

  scripts/bench_jobs_torch.py DIR [--batches shuffled length-grouped]

times the same two jobs and prints one tab-separated line per job and batch order, as finemix
does (job, batches, seconds, real tokens/s, phase=seconds...):

  attacker epoch     the pre-trained encoder with a fresh head, one epoch over train.tsv, batch 32,
                     max length 64, AdamW 5e-5 (0.01 decay, none on biases and LayerNorm weights),
                     linear decay, clipping at 1.0, dropout on
  fine-mixing point  evaluate the victim on test + asr-test (batches of 64 sorted by length, as
                     finemix's evaluator), mix ρ 0.3, 10 epochs over the 64 clean sentences in
                     batches of 16, evaluate the defended model

`--precision bf16` runs both jobs' forward passes under `torch.autocast("cpu", torch.bfloat16)`
(PyTorch's mixed precision: the linear layers' products in BF16, FP32 master weights), the job
`finemix bench --jobs --precision bf16` runs.

`length-grouped` groups batches as finemix's BatchOrder does (pools of 50 batches sorted by
length, batches visited in a shuffled order), with torch's own random numbers.
"""
import argparse, contextlib, json, os, sys, time
from torch_side_by_side import read_tsv, mixed  # also sets 2 threads and offline mode
import torch
from transformers import BertForSequenceClassification, BertTokenizerFast, get_linear_schedule_with_warmup


PRECISION = contextlib.nullcontext


def batch_orders(lengths, size, order_kind, seed, epoch):
    g = torch.Generator().manual_seed(seed * 1000 + epoch)
    order = torch.randperm(len(lengths), generator=g).tolist()
    cut = lambda xs: [xs[i:i + size] for i in range(0, len(xs), size)]
    if order_kind == "shuffled":
        return cut(order)
    pool = size * 50
    batches = []
    for s in range(0, len(order), pool):
        batches += cut(sorted(order[s:s + pool], key=lambda i: -lengths[i]))
    return [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]


def train(model, tok, texts, labels, epochs, batch, lr, order_kind, seed):
    lengths = [len(x) for x in tok(texts, truncation=True, max_length=64)["input_ids"]]
    steps = epochs * ((len(texts) + batch - 1) // batch)
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm.weight" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm.weight" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    sched = get_linear_schedule_with_warmup(opt, 0, steps)
    real = padded = 0
    start = time.time()
    model.train()
    for epoch in range(epochs):
        for idx in batch_orders(lengths, batch, order_kind, seed, epoch):
            enc = tok([texts[j] for j in idx], padding=True, truncation=True, max_length=64, return_tensors="pt")
            y = torch.tensor([labels[j] for j in idx])
            real += int(enc["attention_mask"].sum()); padded += enc["input_ids"].numel()
            with PRECISION():
                loss = torch.nn.functional.cross_entropy(model(**enc).logits.float(), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
    return time.time() - start, real, padded


def evaluate(model, tok, texts):
    model.eval()
    lengths = [len(x) for x in tok(texts, truncation=True, max_length=64)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: (lengths[i], i))
    out = [0] * len(texts)
    with torch.no_grad(), PRECISION():
        for s in range(0, len(order), 64):
            idx = order[s:s + 64]
            enc = tok([texts[j] for j in idx], padding=True, truncation=True, max_length=64, return_tensors="pt")
            for j, p in zip(idx, model(**enc).logits.argmax(-1).tolist()):
                out[j] = p
    return out, sum(lengths)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="the folder `finemix bench --jobs --job-data DIR` wrote")
    ap.add_argument("--batches", nargs="+", default=["length-grouped", "shuffled"])
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    a = ap.parse_args()
    if a.precision == "bf16":
        global PRECISION
        PRECISION = lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    about = json.load(open(os.path.join(a.data, "split.json")))
    pre, victim = about["pre"], os.path.join(a.data, "victim")
    train_set, clean = read_tsv(os.path.join(a.data, "train.tsv")), read_tsv(os.path.join(a.data, "clean.tsv"))
    test, asr = read_tsv(os.path.join(a.data, "test.tsv")), read_tsv(os.path.join(a.data, "asr-test.tsv"))
    tok = BertTokenizerFast.from_pretrained(victim)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.precision}, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    for kind in a.batches:
        torch.manual_seed(1)
        model = BertForSequenceClassification.from_pretrained(pre, num_labels=2, attn_implementation="eager")
        s, real, padded = train(model, tok, *train_set, epochs=1, batch=32, lr=5e-5, order_kind=kind, seed=1)
        print(f"attacker epoch [{kind}]: {s:.1f} s, {real} real tokens ({real / s:.0f}/s), {padded} padded", file=sys.stderr, flush=True)
        print(f"attacker epoch\t{kind}\t{s:.2f}\t{real / s:.0f}\ttrain={s:.2f}", flush=True)

        phases = []
        t = time.time()
        v = BertForSequenceClassification.from_pretrained(victim, attn_implementation="eager")
        evaluate(v, tok, test[0]); evaluate(v, tok, asr[0])
        phases.append(("evaluate victim", time.time() - t))
        t = time.time()
        p = BertForSequenceClassification.from_pretrained(pre, num_labels=2)
        model = mixed(BertForSequenceClassification.from_pretrained(victim, attn_implementation="eager"), p, 0.3, 1)
        phases.append(("mix", time.time() - t))
        ts, treal, tpadded = train(model, tok, *clean, epochs=10, batch=16, lr=5e-5, order_kind=kind, seed=1)
        phases.append(("train", ts))
        t = time.time()
        evaluate(model, tok, test[0]); evaluate(model, tok, asr[0])
        phases.append(("evaluate defended", time.time() - t))
        total = sum(x for _, x in phases)
        print(f"fine-mixing point [{kind}]: {total:.1f} s — " + "; ".join(f"{n} {x:.1f} s" for n, x in phases)
              + f" (train {treal} real tokens, {tpadded} padded)", file=sys.stderr, flush=True)
        print(f"fine-mixing point\t{kind}\t{total:.2f}\t{treal / ts:.0f}" + "".join(f"\t{n}={x:.2f}" for n, x in phases), flush=True)


if __name__ == "__main__":
    main()
