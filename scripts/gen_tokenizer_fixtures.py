"""Writes the tokenizer fixtures: Tests/Fixtures/tokenizer/cases.jsonl and heldout.jsonl.

Run once: /opt/refpy/bin/python scripts/gen_tokenizer_fixtures.py
Reference: the `tokenizers` library's BertWordPieceTokenizer loading the real MiniLM vocab.txt with
lowercase=True (the same pipeline BertTokenizerFast / AutoTokenizer run). Every case is also run
through transformers' BertTokenizer loaded from the model folder's tokenizer.json and through
BertTokenizerLegacy (the pure-Python slow tokenizer); disagreements are printed, and the
`tokenizers` ids are what the fixtures hold.
"""
import csv, io, json, os, random, sys

os.environ["HF_HUB_OFFLINE"] = "1"
from tokenizers import BertWordPieceTokenizer
from transformers import BertTokenizer  # tokenizers-backed in transformers 5
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

CACHE = os.path.expanduser("~/.local/share/finemix/cache")
VOCAB = os.path.join(CACHE, "minilm/vocab.txt")
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests/Fixtures/tokenizer")

ref = BertWordPieceTokenizer(VOCAB, lowercase=True)
fast = BertTokenizer.from_pretrained(os.path.dirname(VOCAB))
slow = BertTokenizerLegacy(vocab_file=VOCAB, do_lower_case=True)


def encode_ref(text, pair, max_length):
    if max_length is None:
        ref.no_truncation()
    else:
        ref.enable_truncation(max_length, strategy="longest_first")
    enc = ref.encode(text, pair) if pair is not None else ref.encode(text)
    return enc.ids, enc.type_ids


def encode(tok, text, pair, max_length):
    kw = dict(add_special_tokens=True, return_token_type_ids=True)
    if max_length is not None:
        kw.update(truncation="longest_first", max_length=max_length)
    enc = tok(text, pair, **kw) if pair is not None else tok(text, **kw)
    return enc["input_ids"], enc["token_type_ids"]


def case(text, pair=None, max_length=None, report=None):
    ids, types = encode_ref(text, pair, max_length)
    for name, tok in (("transformers-fast", fast), ("legacy-slow", slow)):
        try:
            oids, otypes = encode(tok, text, pair, max_length)
        except Exception as e:  # noqa: BLE001
            oids, otypes = f"error {e}", None
        if (oids, otypes) != (ids, types) and report is not None:
            report.append((name, text, pair, max_length, ids, oids))
    return {"text": text, "pair": pair, "max_length": max_length, "ids": ids, "type_ids": types}


def rt_sentences():
    with open(os.path.join(CACHE, "vader/movieReviewSnippets_GroundTruth.txt"), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t", 2)[2] for line in f if line.count("\t") >= 2]


def amazon_sentences():
    with open(os.path.join(CACHE, "vader/amazonReviewSnippets_GroundTruth.txt"), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t", 2)[2] for line in f if line.count("\t") >= 2]


def pattern_sentences():
    with open(os.path.join(CACHE, "pattern/polarity-en-pang&lee2.csv"), encoding="utf-8-sig") as f:
        return [row[1].strip() for row in csv.reader(f) if len(row) >= 2]


EDGE = [
    "", " ", "   \t  \n ", "\t", "\u3000\u00a0\u2003",
    "Héllo Wörld! Ça va? naïve café résumé Ångström ÉCOLE",
    "Crème brûlée, jalapeño, façade, coöperate, Zürich, São Paulo, Dvořák, Łódź",
    "e\u0301 a\u0300 o\u0308 n\u0303 combining: cafe\u0301 nai\u0308ve",
    "\u0301\u0301 leading combining marks \u0327",
    "Ελληνικά ΟΔΟΣ Σίσυφος ΣΊΣΥΦΟΣ", "Русский текст: Привет, мир!", "İstanbul ıi İI",
    "ﬁnance ﬂow Ⅻ ① ㎏ ｆｕｌｌｗｉｄｔｈ",
    "我爱北京天安门。", "日本語のテキストです", "한국어 텍스트 입니다", "中文English混合text测试",
    "\U00020000\U0002A6DF\U0002A700\U0002B740\U0002B820\U0002B920\U0002CEAF\U0002F800 \uF900\uFAFF",
    "I love this movie 😀😂👍🏽 so much ❤️", "👨‍👩‍👧‍👦 family emoji 🇺🇸 flag",
    "zero\u200bwidth\u200dspace\ufeffhere soft\u00adhyphen", "\u200b\u200b\u200b", "\ufeffBOM at start",
    "control\x00chars\x01here\x07bell\x1b[0m", "tab\tnew\nline\rreturn\x0bvt\x0cff\x85nel",
    "line\u2028sep\u2029para", "replacement \ufffd char", "private \ue000 use \U000F0000",
    "right-to-left \u202e mark \u200e \u200f",
    "a" * 100, "b" * 101, "supercalifragilisticexpialidocious" * 4,
    "x" * 99 + "é", "é" * 101, "pneumonoultramicroscopicsilicovolcanoconiosis",
    "!!!???...,,,;;;", "--- *** ### $$$ %%% ^^^ &&& ((( ))) ___ +++ === ``` ~~~ ||| \\\\\\ /// <<< >>>",
    "“quotes” ‘single’ «guillemets» — en–dash … ¿qué? ¡sí!", "@user #hashtag $100 50% a&b x^2 `code`",
    "3.14159 1,000,000 42 007 1e10 -5 +7 ½ ² ³ ١٢٣ ①②",
    "https://www.example.com/path?query=1&x=y#frag", "email me at someone@example.org!",
    "don't won't it's I'm they're can't", "U.S.A. e.g. i.e. Mr. Dr. St.",
    "[CLS] [SEP] [MASK] [PAD] [UNK]", "hello[MASK]world", "[mask] lowercase special", "[CLS",
    "unaffable unbelievably unhappiness", "The Quick Brown Fox JUMPS Over The LAZY DOG",
    "   leading and trailing spaces   ", "multiple     spaces\t\ttabs",
    "mixed 123abc abc123 a1b2c3", "ʻokina ʼapostrophe ˈstress", "°C ± × ÷ ∞ ≠ ≤ ≥ → ← ↑ ↓ ∑ √",
    "Ｈｅｌｌｏ　Ｗｏｒｌｄ", "ｶﾀｶﾅ ﾊﾝｶｸ", "ℌ𝔢𝔩𝔩𝔬 𝐛𝐨𝐥𝐝", "a\u0000b\u0000c",
]


def main():
    random.seed(20221207)
    rt = rt_sentences()
    amazon = amazon_sentences()
    pattern = pattern_sentences()
    report = []
    cases = []
    sample = random.sample(rt, 600)
    for s in sample:
        cases.append(case(s, report=report))
    for s in EDGE:
        cases.append(case(s, report=report))
    # single sequences cut at several lengths
    for s, m in zip(random.sample(rt, 40), [2, 3, 4, 5, 8, 10, 16, 32] * 5):
        cases.append(case(s, max_length=m, report=report))
    # pairs: untruncated, truncated at several lengths, and exact ties
    pairs = [(random.choice(rt), random.choice(rt)) for _ in range(80)]
    for i, (a, b) in enumerate(pairs):
        cases.append(case(a, b, [None, 8, 9, 12, 16, 17, 24, 31, 32, 64][i % 10], report=report))
    ties = [("one two three four five six", "seven eight nine ten eleven twelve"),
            ("a b c d e f g", "h i j k"), ("h i j k", "a b c d e f g"),
            ("short", "a much longer second sentence with many many words in it"),
            ("a much longer first sentence with many many words in it", "short"),
            ("", "only the second"), ("only the first", ""), ("", "")]
    for a, b in ties:
        for m in [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, None]:
            cases.append(case(a, b, m, report=report))
    for s in EDGE[:40:3]:
        cases.append(case(s, "Héllo [SEP] wörld 😀", 12, report=report))
    write("cases.jsonl", cases)

    heldout = []
    for s in random.sample(amazon, 200):
        heldout.append(case(s, report=report))
    for s in random.sample(pattern, 150):
        heldout.append(case(s, report=report))
    rng = random.Random(7)
    blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
              (0x590, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F),
              (0x2100, 0x22FF), (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF),
              (0x1F300, 0x1F64F), (0x20000, 0x2A6DF)]
    for _ in range(60):
        n = rng.randint(1, 40)
        chars = []
        for _ in range(n):
            lo, hi = rng.choice(blocks)
            chars.append(chr(rng.randint(lo, hi)))
        heldout.append(case("".join(chars), report=report))
    for _ in range(20):
        a, b = rng.choice(amazon), rng.choice(pattern)
        heldout.append(case(a, b, rng.choice([None, 10, 16, 25, 40]), report=report))
    write("heldout.jsonl", heldout)

    # A second held-out set, made after the first had been seen once (see the report in the commit
    # log): other corpora lines and random code points from all of Unicode.
    rng2 = random.Random(2026)
    seen = {c["text"] for c in cases} | {c["text"] for c in heldout}
    fresh = []
    with open(os.path.join(CACHE, "pattern/polarity-en-pang&lee1.csv"), encoding="utf-8-sig") as f:
        # whole reviews, one sentence per line: take the lines
        pl1 = [line.strip() for row in csv.reader(f) if len(row) >= 2
               for line in row[1].split("\n") if line.strip()]
    for s in rng2.sample([x for x in pl1 if x not in seen], 150):
        fresh.append(case(s, report=report))
    for s in rng2.sample([x for x in amazon if x not in seen], 100):
        fresh.append(case(s, report=report))
    for _ in range(100):
        chars = []
        for _ in range(rng2.randint(1, 30)):
            r = rng2.random()
            if r < 0.3:
                cp = rng2.randint(0x20, 0x7E)
            elif r < 0.6:
                cp = rng2.randint(0x80, 0x2FFF)
            elif r < 0.8:
                cp = rng2.randint(0x3000, 0xFFFD)
            else:
                cp = rng2.randint(0x10000, 0x10FFFF)
            if 0xD800 <= cp <= 0xDFFF:
                cp = 0x20
            chars.append(chr(cp))
        fresh.append(case("".join(chars), report=report))
    for _ in range(30):
        a, b = rng2.choice(pl1), rng2.choice(amazon)
        fresh.append(case(a, b, rng2.choice([None, 5, 11, 20, 33]), report=report))
    write("heldout2.jsonl", fresh)

    print(f"{len(cases)} cases, {len(heldout)} + {len(fresh)} held-out; disagreements with the reference: {len(report)}")
    for name, text, pair, m, ids, oids in report:
        print(f"  DIFF {name} text={text!r} pair={pair!r} max_length={m}\n    ref={ids}\n    {name}={oids}")


def write(name, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
