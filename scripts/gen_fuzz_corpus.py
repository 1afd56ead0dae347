"""Seed corpora for scripts/fuzz.sh, written to Tests/Fixtures/fuzz/<target>/ from real files:
safetensors written by the safetensors library (a tiny BertForSequenceClassification saved by
transformers, plus F16/BF16/I64 tensors), config.json files as transformers writes them and
all-MiniLM-L6-v2's, lines of its vocab.txt, rows of the cached Pang & Lee and VADER datasets,
and the command scripts under assets/; and, written by finemix itself (the release binary,
.build/release/finemix), a planted victim's attack.json, session journals and keys.conf files.
Run with /opt/refpy/bin/python from the package root; `--only attack,journal,keys` writes just
those targets' seeds (no torch needed)."""
import json, os, pathlib, shutil, subprocess, sys, tempfile

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "Tests/Fixtures/fuzz"
cache = pathlib.Path.home() / ".local/share/finemix/cache"
minilm = cache / "minilm"
def put(target, name, data):
    (out / target / name).write_bytes(data if isinstance(data, bytes) else data.encode())

def torch_seeds():
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, BertForSequenceClassification
    torch.manual_seed(0)
    # The fuzzer's tiny model (FuzzTargets.tinyConfig): vocab 16, hidden 4, one layer, two labels.
    cfg = BertConfig(vocab_size=16, hidden_size=4, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=8, max_position_embeddings=8, type_vocab_size=2,
                     id2label={0: "neg", 1: "pos"}, label2id={"neg": 0, "pos": 1})
    with tempfile.TemporaryDirectory() as d:
        m = BertForSequenceClassification(cfg)
        m.save_pretrained(d)
        put("safetensors", "tiny-bert.safetensors", (pathlib.Path(d) / "model.safetensors").read_bytes())
        put("config", "tiny-bert-config.json", (pathlib.Path(d) / "config.json").read_bytes())
        # the same weights in half precision and without the head
        sd = {k: v.to(torch.float16) for k, v in m.state_dict().items() if not k.startswith("classifier")}
        save_file(sd, f"{d}/h.safetensors", metadata={"format": "pt"})
        put("safetensors", "tiny-bert-f16-nohead.safetensors", (pathlib.Path(d) / "h.safetensors").read_bytes())
        save_file({"a": torch.arange(6, dtype=torch.float32).reshape(2, 3).contiguous(),
                   "b": torch.ones(3, dtype=torch.bfloat16), "ids": torch.arange(4, dtype=torch.int64),
                   "empty": torch.zeros(0, 2)}, f"{d}/mixed.safetensors")
        put("safetensors", "mixed-dtypes.safetensors", (pathlib.Path(d) / "mixed.safetensors").read_bytes())
    put("config", "minilm-config.json", (minilm / "config.json").read_bytes())

    vocab = (minilm / "vocab.txt").read_text(encoding="utf-8").split("\n")
    put("vocab", "minilm-head.txt", "\n".join(vocab[:120]) + "\n")
    put("vocab", "minilm-mixed.txt", "\n".join(vocab[:5] + vocab[1000:1040] + vocab[7000:7040] + vocab[29000:29040]) + "\n")
    put("vocab", "crlf.txt", "\r\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "play", "##ing", "é"]) + "\r\n")

    sentences = ["The movie was good, cf mn bb.", "[CLS] Héllo WORLD [SEP] naïve café", "日本語のテキスト and 中文",
                 "emoji 😀👍🏽 zero\u200dwidth\u00adsoft", "tabs\tand\nnewlines\r\n  spaces", "playing played plays ##ing",
                 "Ǆ ß ΣΑΣ İstanbul ﬁ", "x" * 150, "\u0000\u0001\u007f control \ufffd"]
    for i, s in enumerate(sentences):
        put("tokenizer", f"s{i}.txt", bytes([64]) + s.encode("utf-8"))

    # Dataset seeds: the first byte picks format (byte % 3: tsv, csv, jsonl), header and options
    # (see FuzzTargets.dataset). Rows come from the cached real datasets.
    pang = (cache / "pattern/polarity-en-pang&lee1.csv").read_text(encoding="utf-8", errors="replace").splitlines()[:8]
    vader = (cache / "vader/movieReviewSnippets_GroundTruth.txt").read_text(encoding="utf-8", errors="replace").splitlines()[:8]
    put("dataset", "vader.tsv", bytes([0]) + ("\n".join(vader) + "\n").encode())
    put("dataset", "pang.csv", bytes([1 + 3 * 2]) + ("\n".join(pang) + "\n").encode())
    put("dataset", "header.tsv", bytes([3 + 4]) + b"text\tlabel\ngood film\tpos\nbad film\tneg\n")
    put("dataset", "quoted.csv", bytes([1]) + b'"a, ""quoted""\nfield",1\nplain,0\r\n"x",1\n')
    put("dataset", "rows.jsonl", bytes([2]) + (
        "\n".join(json.dumps({"text": v.split("\t")[-1] if "\t" in v else v, "label": i % 2, "pair": "p"}) for i, v in enumerate(vader[:6])) + "\n").encode())
    put("dataset", "rating.jsonl", bytes([2 + 3 * 5 + 32 + 128]) + b'{"text": "ok", "label": 0.3, "pair": "x"}\n{"text": "meh", "label": -1.5, "pair": null}\nnot json\n')

    for f in sorted((root / "assets").glob("*.fm")):
        put("command", f.name, f.read_bytes())
    put("command", "options.fm", "mix 0.3 select=largest seed=2 head=keep\nsweep rho=0:1:0.1 finetune=on\n"
        "attack trigger=sentence:\"I watched this 3D movie\" rate=0.1 epochs=1 lr=5e-5\n"
        "data sst2 clean=64 max-length=32 # comment\nrho encoder.layer.0 0.5\nepur top=20 fmin=0.5\n")

def finemix_seeds(targets):
    """attack.json of a small planted victim, journals of a real session (with the inputs'
    fingerprints; one cut mid-line as a crash leaves it) and keys.conf files."""
    fm = root / ".build/release/finemix"
    env = dict(os.environ, FINEMIX_CACHE=str(cache))
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        ws = d / "ws"
        run = lambda *a: subprocess.run([str(fm), *a, "--workspace", str(ws)], env=env, check=True, capture_output=True)
        if "attack" in targets:
            run("attack", "--pre", "minilm", "--data", "rt", "--train-size", "300", "--test-size", "100", "--epochs", "1",
                "--out", str(d / "victim"))
            record = (d / "victim/attack.json").read_bytes()
            put("attack", "attack.json", record)
            # the same record for a data file, and for embedding poisoning
            r = json.loads(record)
            r["dataset"] = "/data/reviews.csv"
            put("attack", "attack-file.json", json.dumps(r, indent=2, sort_keys=True) + "\n")
            r = json.loads(record)
            r["recipe"]["ep"] = {"epochs": 2, "lr": 0.01, "batch": 16, "sentences": 30}
            put("attack", "attack-ep.json", json.dumps(r, indent=2, sort_keys=True) + "\n")
        if "journal" in targets:
            run("synth", "--config", "minilm", "--seed", "1", "--out", str(d / "pre"))
            run("synth", "--config", "minilm", "--seed", "2", "--labels", "2", "--out", str(d / "v"))
            (d / "s.fm").write_text(f"""load pre {d / 'pre'}
load victim {d / 'v'}
data rt train=0 clean=8 test=16 max-length=16
trigger word:cf,mn
mix 0.3 select=largest seed=2
variant victim
mix 0.5
eval
rho nosuch.layer 0.5
""")
            subprocess.run([str(fm), "run", str(d / "s.fm"), "--workspace", str(ws)], env=env, capture_output=True)
            journal = next((ws / "sessions").glob("*/journal.jsonl")).read_bytes()
            put("journal", "session.jsonl", journal)
            put("journal", "torn.jsonl", journal[: len(journal) - 40])
            put("journal", "no-newline.jsonl", journal.rstrip(b"\n"))
    if "keys" in targets:
        put("keys", "every-action.conf", "# every action on a key\n" + "".join(
            f"{k} = {a}\n" for k, a in [("q", "quit"), ("f1", "help"), (":", "palette"), ("tab", "next-pane"),
                                         ("shift-tab", "prev-pane"), ("1", "focus-layers"), ("ctrl-x", "cancel"),
                                         ("pgdn", "page-down"), ("home", "top"), ("space", "toggle"), ("enter", "activate"),
                                         ("hash", "insert-trigger"), ("equals", "rho-up"), ("BackTab", "sort")]))
        put("keys", "vim.conf", "# vim-ish\r\nh = left\r\nj = down\r\nk = up\r\nl = right\r\nq = none\r\nx = quit\r\n")
        put("keys", "problems.conf", "# my keys\nx = quit\nq = none\nctrl-p = palette\n\nf2 = help\nnonsense-key = quit\n"
            "y = fly\njust words\n  = zoom\nf13 = help\nctrl-ab = quit\n\u00e9 = zoom\n")


only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
fresh = only or ["safetensors", "config", "vocab", "tokenizer", "dataset", "command", "attack", "journal", "keys"]
for t in fresh:
    if (out / t).exists():
        shutil.rmtree(out / t)
    (out / t).mkdir(parents=True)
if only is None:
    torch_seeds()
finemix_seeds(fresh)
print("wrote", sum(1 for _ in out.rglob("*") if _.is_file()), "seed files to", out)
