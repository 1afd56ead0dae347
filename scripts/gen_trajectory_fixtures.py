#!/opt/refpy/bin/python
"""A 40-step training trajectory of a tiny BERT in PyTorch, for the Swift engine to follow (run once;
output committed).

Tests/Fixtures/trajectory/tiny_trajectory.json: a tiny random BERT (2 layers, hidden 8, 2 heads,
vocab 50, 2 labels, dropout off) trained for 40 steps (10 epochs of 4 fixed padded batches of 4) with
finemix's fine-tuning recipe: AdamW (weight decay 0.01, none on biases and LayerNorm weights),
linear decay from the base rate to 0 over the 40 steps without warm-up, clipping at norm 1.0.
Recorded: the initial weights (rounded to float32, so both engines start from the same numbers),
the batches, the loss, gradient norm and learning rate of every step, and the weights after steps
1, 10, 20 and 40. PyTorch runs in float64 (the reference), the engine in Float.

The base rate is 2e-3, not finemix's 5e-5: on a random 8-wide model 5e-5 moves the weights by less
than float32 noise, so a wrong decay group or clipping would not show.

Usage: /opt/refpy/bin/python scripts/gen_trajectory_fixtures.py
"""
import json, os
import torch
from transformers import BertConfig, BertForSequenceClassification, get_linear_schedule_with_warmup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "trajectory")
STEPS, BATCH, MAXLEN, SNAPSHOTS = 40, 4, 8, [1, 10, 20, 40]
HP = {"lr": 2e-3, "weight_decay": 0.01, "max_grad_norm": 1.0, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def canonical(name):
    return name[len("bert."):] if name.startswith("bert.") else name


def f32(xs):
    # 9 significant digits round-trip a float32 exactly
    return [float(f"{x:.9g}") for x in xs]


def batches():
    """16 sentences in 4 padded batches, 10 epochs in a shuffled batch order (finemix's budget of 10
    epochs over a small clean set); label 1 when token 7 or 9 occurs, so the loss falls."""
    g = torch.Generator().manual_seed(11)
    out = []
    for _ in range(4):
        lengths = torch.randint(3, MAXLEN + 1, (BATCH,), generator=g).tolist()
        S = max(lengths)
        ids = torch.randint(3, 50, (BATCH, S), generator=g)
        for i in range(BATCH):
            if torch.rand(1, generator=g).item() < 0.5:
                ids[i, torch.randint(1, lengths[i] - 1, (1,), generator=g).item()] = 7 if i % 2 else 9
        ids[:, 0] = 2
        mask = torch.zeros(BATCH, S, dtype=torch.long)
        for i, l in enumerate(lengths):
            mask[i, :l] = 1
            ids[i, l - 1] = 3
            ids[i, l:] = 0
        labels = torch.tensor([int(bool(((row == 7) | (row == 9)).any())) for row in ids])
        out.append({"seq": S, "lengths": lengths, "ids": ids, "mask": mask, "labels": labels})
    return [out[i] for _ in range(STEPS // 4) for i in torch.randperm(4, generator=g).tolist()]


def main():
    torch.manual_seed(5)
    cfg = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=16, max_position_embeddings=16, type_vocab_size=2,
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=2,
                     initializer_range=0.3, attn_implementation="eager")
    model = BertForSequenceClassification(cfg)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "LayerNorm" in n or n.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.2)
    model = model.double()
    with torch.no_grad():  # start from float32 values so the engine loads exactly these
        for p in model.parameters():
            p.copy_(p.float().double())
    model.train()  # dropout probabilities are 0: train mode is deterministic

    def snapshot():
        return {canonical(n): f32(p.detach().flatten().tolist()) for n, p in model.named_parameters()}

    initial = snapshot()
    shapes = {canonical(n): list(p.shape) for n, p in model.named_parameters()}
    no_decay = [p for n, p in model.named_parameters() if n.endswith(".bias") or "LayerNorm" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith(".bias") or "LayerNorm" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": HP["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=HP["lr"], betas=(HP["beta1"], HP["beta2"]), eps=HP["eps"])
    sched = get_linear_schedule_with_warmup(opt, 0, STEPS)
    data = batches()
    steps, clipped = [], 0
    for k, b in enumerate(data):
        lr = opt.param_groups[0]["lr"]
        opt.zero_grad()
        out = model(input_ids=b["ids"], attention_mask=b["mask"], labels=b["labels"])
        out.loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), HP["max_grad_norm"]).item()
        clipped += norm > HP["max_grad_norm"]
        opt.step()
        sched.step()
        step = {"loss": out.loss.item(), "grad_norm": norm, "lr": lr}
        if k + 1 in SNAPSHOTS:
            step["weights"] = snapshot()
        steps.append(step)
    json.dump({"config": json.loads(cfg.to_json_string()), "shapes": shapes, "weights": initial, "adamw": HP,
               "total_steps": STEPS, "snapshots": SNAPSHOTS,
               "batches": [{"seq": b["seq"], "lengths": b["lengths"], "ids": b["ids"].flatten().tolist(),
                            "labels": b["labels"].tolist()} for b in data],
               "steps": steps},
              open(os.path.join(OUT, "tiny_trajectory.json"), "w"), separators=(",", ":"))
    print(f"losses {steps[0]['loss']:.4f} -> {steps[-1]['loss']:.4f}; clipped at {clipped} of {STEPS} steps")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    main()
