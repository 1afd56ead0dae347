"""Checks that a folder finemix saved loads in HuggingFace transformers unchanged.

Usage: /opt/refpy/bin/python scripts/check_hf_load.py DIR [DIR ...]

For each DIR: BertForSequenceClassification.from_pretrained(DIR) must report no missing,
unexpected or mismatched keys, every tensor in model.safetensors must equal the loaded
parameter (so names map one to one), and config.json must declare the architecture, model
type and labels. Exits 1 on the first failure.
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import BertForSequenceClassification  # noqa: E402


def check(folder: str) -> None:
    config = json.load(open(os.path.join(folder, "config.json")))
    assert config.get("model_type") == "bert", f"model_type is {config.get('model_type')!r}"
    assert config.get("architectures") == ["BertForSequenceClassification"], config.get("architectures")
    n = len(config["id2label"])
    assert sorted(config["label2id"].values()) == list(range(n)), config["label2id"]

    model, info = BertForSequenceClassification.from_pretrained(folder, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    assert not problems, f"loading info reports {problems}"
    assert model.config.num_labels == n

    stored = load_file(os.path.join(folder, "model.safetensors"))
    params = dict(model.state_dict())
    for name, tensor in stored.items():
        assert name in params, f"stored tensor {name} is not a model parameter"
        assert params[name].shape == tensor.shape, f"{name}: {tuple(params[name].shape)} vs {tuple(tensor.shape)}"
        assert torch.equal(params[name], tensor), f"{name}: values differ after loading"
    persistent = {k for k in params if not k.endswith("position_ids")}
    missing = persistent - set(stored)
    assert not missing, f"model parameters not in the file: {sorted(missing)}"

    model.eval()
    with torch.no_grad():
        ids = torch.tensor([[101, 7592, 2088, 102]])
        logits = model(input_ids=ids).logits
    assert logits.shape == (1, n) and torch.isfinite(logits).all()
    print(f"ok {folder}: {len(stored)} tensors, {n} labels, no missing/unexpected keys, logits {logits.tolist()}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for d in sys.argv[1:]:
        try:
            check(d)
        except AssertionError as e:
            print(f"FAIL {d}: {e}")
            sys.exit(1)
