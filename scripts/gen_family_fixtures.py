#!/opt/refpy/bin/python
"""Tiny random classifiers of every family finemix runs, and PyTorch's numbers for them (run once;
outputs committed under Tests/Fixtures/families/<name>/).

Each folder is what `save_pretrained` writes (config.json, model.safetensors) plus a vocab.txt so
that today's loader opens it (the tokenizer work replaces it with tokenizer.json), and:
- reference.json: one padded batch (ids, type ids, lengths, labels), the eval-mode logits
  (eager attention) and the loss;
- grads.safetensors: every parameter's gradient of that loss (eval mode: dropout off), under the
  parameter's transformers name, F32.
PyTorch computes in float64 from the float32 weights saved; the engine runs in Float.

Each family also carries one `hidden_act`, so every activation is checked once:
bert gelu_new, roberta gelu, xlm-roberta relu, distilbert gelu, electra gelu (embedding_size 8 of 16).

Usage: /opt/refpy/bin/python scripts/gen_family_fixtures.py
"""
import copy, json, os
os.environ["HF_HUB_OFFLINE"] = "1"
import torch
from safetensors.torch import save_file
import transformers as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "families")
V, H, L, NH, I, P, LABELS = 40, 16, 2, 4, 32, 12, 3

def common(pad):
    return dict(vocab_size=V, max_position_embeddings=P + (pad + 1 if pad else 0), pad_token_id=pad,
                num_labels=LABELS, initializer_range=0.3, attn_implementation="eager")

def bert_like(cls, pad, act, **extra):
    return cls(hidden_size=H, num_hidden_layers=L, num_attention_heads=NH, intermediate_size=I,
               hidden_act=act, **common(pad), **extra)

FAMILIES = {
    "bert": (lambda: bert_like(tf.BertConfig, 0, "gelu_new"), tf.BertForSequenceClassification),
    "roberta": (lambda: bert_like(tf.RobertaConfig, 1, "gelu", type_vocab_size=1, layer_norm_eps=1e-5,
                                  bos_token_id=0, eos_token_id=2), tf.RobertaForSequenceClassification),
    "xlm-roberta": (lambda: bert_like(tf.XLMRobertaConfig, 1, "relu", type_vocab_size=1, layer_norm_eps=1e-5,
                                      bos_token_id=0, eos_token_id=2), tf.XLMRobertaForSequenceClassification),
    "distilbert": (lambda: tf.DistilBertConfig(dim=H, n_layers=L, n_heads=NH, hidden_dim=I, activation="gelu",
                                               **common(0)), tf.DistilBertForSequenceClassification),
    "electra": (lambda: bert_like(tf.ElectraConfig, 0, "gelu", embedding_size=8), tf.ElectraForSequenceClassification),
}

def vocab(pad):
    # specials where the family's tokenizer puts them: RoBERTa's <s> <pad> </s> <unk> <mask>
    specials = ["[CLS]", "[PAD]", "[SEP]", "[UNK]", "[MASK]"] if pad == 1 else ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = [f"w{i}" for i in range(V - len(specials))]
    return specials + words

def build(name, seed):
    make_config, cls = FAMILIES[name]
    torch.manual_seed(seed)
    cfg = make_config()
    model = cls(cfg)
    with torch.no_grad():  # non-trivial LayerNorm parameters and biases, so their gradients mean something
        for n, p in model.named_parameters():
            if "LayerNorm" in n or "layer_norm" in n or n.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.2)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    pad = cfg.pad_token_id
    toks = vocab(pad)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(toks) + "\n")

    lengths = [7, 5, 3]
    S = max(lengths)
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(5, V, (3, S), generator=g)
    tt = torch.zeros(3, S, dtype=torch.long)
    if getattr(cfg, "type_vocab_size", 1) > 1:
        tt[0, 4:] = 1; tt[1, 3:] = 1
    mask = torch.zeros(3, S, dtype=torch.long)
    for i, l in enumerate(lengths):
        mask[i, :l] = 1; ids[i, l:] = pad; tt[i, l:] = 0
    ids[:, 0] = toks.index("[CLS]")
    labels = torch.tensor([0, 2, 1])

    m = copy.deepcopy(model).double().eval()  # eval: dropout off, for the logits and the gradients
    kwargs = dict(input_ids=ids, attention_mask=mask, labels=labels)
    if name != "distilbert":
        kwargs["token_type_ids"] = tt
    out = m(**kwargs)
    out.loss.backward()
    grads = {n: p.grad.detach().float().contiguous() for n, p in m.named_parameters()}
    save_file(grads, os.path.join(folder, "grads.safetensors"))
    json.dump({"batch": 3, "seq": S, "ids": ids.flatten().tolist(), "type_ids": tt.flatten().tolist(),
               "lengths": lengths, "labels": labels.tolist(), "loss": out.loss.item(),
               "logits": [float(f"{x:.10g}") for x in out.logits.detach().flatten().tolist()],
               "transformers": tf.__version__, "torch": torch.__version__},
              open(os.path.join(folder, "reference.json"), "w"), indent=1)
    print(name, "loss", out.loss.item(), "tensors", len(grads))

if __name__ == "__main__":
    for i, name in enumerate(FAMILIES):
        build(name, 100 + 10 * i)
