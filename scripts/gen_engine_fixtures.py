#!/opt/refpy/bin/python
"""Reference numbers for the Swift engine, from HuggingFace/PyTorch (run once; outputs committed).

1. Tests/Fixtures/engine/minilm_logits.json: the real all-MiniLM-L6-v2 as
   BertForSequenceClassification (eval mode, eager attention) with a seeded random 2-label head,
   on RT sentences and sentence pairs, run in padded batches of 8: ids, type ids, logits, and the head.
2. Tests/Fixtures/engine/tiny_gradients.json: a tiny random BERT (dropout off): its weights, the
   loss and every parameter's gradient on one padded batch, then two AdamW steps (clipped, with
   HF's no-decay groups) and the weights after each.

Usage: /opt/refpy/bin/python scripts/gen_engine_fixtures.py
"""
import json, os, sys
os.environ["HF_HUB_OFFLINE"] = "1"
import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "engine")
CACHE = os.path.expanduser("~/.local/share/finemix/cache")
MINILM = os.path.join(CACHE, "minilm")
RT = os.path.join(CACHE, "vader", "movieReviewSnippets_GroundTruth.txt")

def canonical(name):
    return name[len("bert."):] if name.startswith("bert.") else name

def r(xs, digits=7):
    return [float(f"{x:.{digits}g}") for x in xs]

def minilm_fixture():
    torch.manual_seed(1234)
    model = BertForSequenceClassification.from_pretrained(MINILM, num_labels=2, attn_implementation="eager")
    model.eval()
    tok = BertTokenizerFast.from_pretrained(MINILM)
    lines = [l.rstrip("\n").split("\t")[2] for l in open(RT, encoding="utf-8")]
    singles = lines[100:150]
    pairs = [(lines[200 + 2 * i], lines[201 + 2 * i]) for i in range(16)]
    cases = []
    for s in singles:
        e = tok(s, truncation=True, max_length=128)
        cases.append({"text": s, "ids": e["input_ids"], "type_ids": e["token_type_ids"]})
    for a, b in pairs:
        e = tok(a, b, truncation=True, max_length=128)
        cases.append({"text": a + "\t" + b, "ids": e["input_ids"], "type_ids": e["token_type_ids"]})
    with torch.no_grad():
        for start in range(0, len(cases), 8):
            group = cases[start:start + 8]
            S = max(len(c["ids"]) for c in group)
            ids = torch.tensor([c["ids"] + [0] * (S - len(c["ids"])) for c in group])
            tt = torch.tensor([c["type_ids"] + [0] * (S - len(c["ids"])) for c in group])
            mask = torch.tensor([[1] * len(c["ids"]) + [0] * (S - len(c["ids"])) for c in group])
            logits = model(input_ids=ids, token_type_ids=tt, attention_mask=mask).logits
            for c, row in zip(group, logits):
                c["logits"] = r(row.tolist(), 9)
    head = {"classifier.weight": r(model.classifier.weight.flatten().tolist(), 9),
            "classifier.bias": r(model.classifier.bias.tolist(), 9)}
    json.dump({"batch_size": 8, "num_labels": 2, "head": head, "cases": cases},
              open(os.path.join(OUT, "minilm_logits.json"), "w"))
    print("minilm cases:", len(cases))

def tiny_fixture():
    torch.manual_seed(7)
    cfg = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=16, max_position_embeddings=16, type_vocab_size=2,
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=3,
                     initializer_range=0.3, attn_implementation="eager")
    model = BertForSequenceClassification(cfg).double()
    # non-trivial LayerNorm parameters so their gradients mean something
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "LayerNorm" in n or n.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.2)
    model.train()  # dropout probabilities are 0, so train mode is deterministic
    lengths = [7, 5, 3]
    S = max(lengths)
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(1, 50, (3, S), generator=g)
    tt = torch.zeros(3, S, dtype=torch.long)
    tt[0, 4:] = 1; tt[1, 3:] = 1
    mask = torch.zeros(3, S, dtype=torch.long)
    for i, l in enumerate(lengths):
        mask[i, :l] = 1; ids[i, l:] = 0; tt[i, l:] = 0
    ids[:, 0] = 2
    labels = torch.tensor([0, 2, 1])

    weights = {canonical(n): r(p.detach().flatten().tolist(), 17) for n, p in model.named_parameters()}
    shapes = {canonical(n): list(p.shape) for n, p in model.named_parameters()}

    def loss_and_grads():
        model.zero_grad()
        out = model(input_ids=ids, token_type_ids=tt, attention_mask=mask, labels=labels)
        out.loss.backward()
        return out.loss.item(), out.logits.detach()

    loss, logits = loss_and_grads()
    grads = {canonical(n): r(p.grad.flatten().tolist(), 17) for n, p in model.named_parameters()}

    no_decay = [p for n, p in model.named_parameters() if n.endswith(".bias") or "LayerNorm" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith(".bias") or "LayerNorm" in n)]
    hp = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.05, "max_grad_norm": 0.5}
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"])
    steps = []
    for step in range(2):
        if step > 0:
            l2, _ = loss_and_grads()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), hp["max_grad_norm"]).item()
        opt.step()
        steps.append({"loss": loss if step == 0 else l2, "grad_norm": norm,
                      "weights": {canonical(n): r(p.detach().flatten().tolist(), 17) for n, p in model.named_parameters()}})

    json.dump({"config": json.loads(cfg.to_json_string()), "ids": ids.flatten().tolist(),
               "type_ids": tt.flatten().tolist(), "lengths": lengths, "labels": labels.tolist(),
               "batch": 3, "seq": S, "shapes": shapes, "weights": weights, "loss": loss,
               "logits": r(logits.flatten().tolist(), 17), "grads": grads, "adamw": hp, "steps": steps},
              open(os.path.join(OUT, "tiny_gradients.json"), "w"))
    print("tiny loss:", loss)

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    tiny_fixture()
    minilm_fixture()
