#!/opt/refpy/bin/python
"""Weight-file fixtures for finemix's readers (run once; the small outputs are committed).

From one tiny random BertForSequenceClassification (hidden 16, 2 layers, 30 tokens, 2 labels),
into Tests/Fixtures/weightfiles/:

  bert/            model.safetensors: the reference every other form must read identically
  bin/             pytorch_model.bin (torch.save of state_dict(); zip top folder "pytorch_model")
  bin-strided/     pytorch_model.bin whose tensors include a transposed view, a view at a storage
                   offset and two views of one storage (top folder "archive", as torch.save to a buffer)
  sharded-st/      model.safetensors.index.json + shards (save_pretrained, max_shard_size 10KB)
  sharded-bin/     pytorch_model.bin.index.json + .bin shards
  hostile/         pytorch_model.bin whose data.pkl calls posix.system("touch /tmp/finemix-hostile-pickle-ran"),
                   made by writing the pickle bytes; nothing here ever unpickles it
  lora/            peft LoRA adapter (r 4, alpha 8, query+value, modules_to_save classifier),
                   base_model_name_or_path "../bert"; lora-merged/ is peft's merge_and_unload
  lora-rs/         rsLoRA adapter (r 2, alpha 4) on every dense layer and the word embeddings,
                   saved as adapter_model.bin, base "finemix-fixtures/tiny-bert" (not a local
                   folder: the base comes from --pre); lora-rs-merged/ is peft's merge
  lora-roberta/    peft LoRA adapter (r 4, alpha 8, query+value+dense, modules_to_save classifier:
                   RoBERTa's dense + out_proj head) over Tests/Fixtures/families/roberta (base
                   "../../families/roberta"); lora-roberta-merged/ is peft's merge_and_unload
  lora-distilbert/ the same over families/distilbert (q_lin+v_lin+lin1, modules_to_save
                   pre_classifier + classifier); lora-distilbert-merged/ is peft's merge

Usage: /opt/refpy/bin/python scripts/gen_weightfile_fixtures.py [GROUP ...]
(GROUP: base, lora, family-lora; all when none is given. torch.save writes a fresh serialization
id each run, so regenerating a group changes its .bin files' bytes but not their tensors.)
"""
import io, json, os, shutil, struct, sys, zipfile
os.environ["HF_HUB_OFFLINE"] = "1"
import torch
from transformers import BertConfig, BertForSequenceClassification
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "weightfiles")
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(25)]
MARKER = "/tmp/finemix-hostile-pickle-ran"


def folder(name, with_vocab=True):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    if with_vocab:
        with open(os.path.join(d, "vocab.txt"), "w") as f:
            f.write("\n".join(VOCAB) + "\n")
    return d


def tiny_model():
    torch.manual_seed(14)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=32, max_position_embeddings=16, type_vocab_size=2, num_labels=2)
    model = BertForSequenceClassification(config)
    with torch.no_grad():  # every tensor random, so a swapped or zeroed tensor shows
        for p in model.parameters():
            p.normal_(0, 0.5)
    return model.eval()


def write_config(model, d):
    model.config.save_pretrained(d)


def strided_state_dict(sd):
    out = dict(sd)
    w = sd["classifier.weight"]                       # [2, 16]
    out["classifier.weight"] = w.t().contiguous().t()  # stride (1, 2)
    q = sd["bert.encoder.layer.0.attention.self.query.weight"]
    big = torch.cat([torch.full((7,), 99.0), q.flatten(), torch.full((5,), -99.0)])
    out["bert.encoder.layer.0.attention.self.query.weight"] = big[7:7 + q.numel()].view(q.shape)  # offset 7
    k, v = sd["bert.encoder.layer.1.attention.self.key.weight"], sd["bert.encoder.layer.1.attention.self.value.weight"]
    both = torch.cat([k, v])                          # one storage, two views
    out["bert.encoder.layer.1.attention.self.key.weight"] = both[:16]
    out["bert.encoder.layer.1.attention.self.value.weight"] = both[16:]
    return out


def hostile_bin(path):
    cmd = f"touch {MARKER}".encode()
    # protocol 2: GLOBAL posix.system, the command as a tuple, REDUCE, STOP
    pkl = b"\x80\x02cposix\nsystem\nq\x00X" + struct.pack("<I", len(cmd)) + cmd + b"q\x01\x85q\x02Rq\x03."
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in [("archive/data.pkl", pkl), ("archive/byteorder", b"little"), ("archive/version", b"3\n")]:
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)  # same bytes every run


def lora(base, name, merged_name, adapter_base, safe, vocab_from=None, **kw):
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(41)
    model = get_peft_model(base, LoraConfig(task_type="SEQ_CLS", init_lora_weights=False, **kw))
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_" in n or "modules_to_save" in n:
                p.normal_(0, 0.3)
    d = folder(name, with_vocab=False)
    model.save_pretrained(d, safe_serialization=safe)
    cfg_path = os.path.join(d, "adapter_config.json")
    cfg = json.load(open(cfg_path))
    cfg["base_model_name_or_path"] = adapter_base
    json.dump(cfg, open(cfg_path, "w"), indent=2, sort_keys=True)
    for f in os.listdir(d):
        if f not in ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"):
            os.remove(os.path.join(d, f))
    merged = model.merge_and_unload()
    m = folder(merged_name, with_vocab=vocab_from is None)
    if vocab_from:
        shutil.copy(os.path.join(vocab_from, "vocab.txt"), m)
    write_config(merged, m)
    save_file({k: v.contiguous() for k, v in merged.state_dict().items()}, os.path.join(m, "model.safetensors"))


def family_lora():
    """Adapters over the families' fixtures, named as each family names its layers."""
    import transformers as tf
    fam = os.path.join(ROOT, "Tests", "Fixtures", "families")
    for name, cls, targets, save in [
        ("roberta", tf.RobertaForSequenceClassification, ["query", "value", "dense"], ["classifier"]),
        ("distilbert", tf.DistilBertForSequenceClassification, ["q_lin", "v_lin", "lin1"], ["pre_classifier", "classifier"]),
    ]:
        base_dir = os.path.join(fam, name)
        base = cls.from_pretrained(base_dir).eval()
        lora(base, f"lora-{name}", f"lora-{name}-merged", f"../../families/{name}", True, vocab_from=base_dir,
             r=4, lora_alpha=8, target_modules=targets, modules_to_save=save)


def base_files(model, sd):
    d = folder("bert"); model.save_pretrained(d, safe_serialization=True)
    # state_dict() itself: an OrderedDict carrying _metadata, as transformers' own .bin files do
    d = folder("bin"); write_config(model, d); torch.save(model.state_dict(), os.path.join(d, "pytorch_model.bin"))
    d = folder("bin-strided"); write_config(model, d)
    buf = io.BytesIO(); torch.save(strided_state_dict(sd), buf)
    open(os.path.join(d, "pytorch_model.bin"), "wb").write(buf.getvalue())
    d = folder("sharded-st"); model.save_pretrained(d, safe_serialization=True, max_shard_size="10KB")
    # transformers 5 saves safetensors only; the .bin shards are torch.save of the same split.
    d = folder("sharded-bin"); write_config(model, d)
    index = json.load(open(os.path.join(OUT, "sharded-st", "model.safetensors.index.json")))
    rename = {f: f.replace("model-", "pytorch_model-").replace(".safetensors", ".bin") for f in set(index["weight_map"].values())}
    for f, g in rename.items():
        torch.save({k: sd[k] for k, v in index["weight_map"].items() if v == f}, os.path.join(d, g))
    index["weight_map"] = {k: rename[v] for k, v in index["weight_map"].items()}
    json.dump(index, open(os.path.join(d, "pytorch_model.bin.index.json"), "w"), indent=2, sort_keys=True)
    d = folder("hostile"); write_config(model, d); hostile_bin(os.path.join(d, "pytorch_model.bin"))


def main(groups):
    os.makedirs(OUT, exist_ok=True)
    if "base" in groups:
        model = tiny_model()
        base_files(model, {k: v.detach().clone() for k, v in model.state_dict().items()})
    try:
        import peft  # noqa: F401
    except ImportError:
        print("peft is not installed: the adapter fixtures were not written")
        return
    if "lora" in groups:
        lora(tiny_model(), "lora", "lora-merged", "../bert", True,
             r=4, lora_alpha=8, target_modules=["query", "value"], modules_to_save=["classifier"])
        lora(tiny_model(), "lora-rs", "lora-rs-merged", "finemix-fixtures/tiny-bert", False,
             r=2, lora_alpha=4, use_rslora=True, target_modules=["dense", "word_embeddings"], modules_to_save=["classifier"])
    if "family-lora" in groups:
        family_lora()

    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"{OUT}: {total} bytes")


if __name__ == "__main__":
    main(sys.argv[1:] or ["base", "lora", "family-lora"])
