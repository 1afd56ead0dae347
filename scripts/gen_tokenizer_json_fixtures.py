#!/opt/refpy/bin/python
"""Writes the tokenizer.json fixtures: Tests/Fixtures/tokenizer-json/<kind>.json and cases.jsonl.

Run once: scripts/gen_tokenizer_json_fixtures.py (needs only the `tokenizers` package).
Trains small tokenizers (a few hundred to 2k tokens, to keep the fixtures small) on the local
corpora of the shared cache, one per kind finemix reads:
  wordpiece  cased BERT-style: BertNormalizer (no lowercase, no accent stripping), BertPreTokenizer,
             WordPiece, BertProcessing
  bytebpe    RoBERTa-style: ByteLevel pre-tokenizer, byte-level BPE, RobertaProcessing, <mask> lstrip
  unigram    ALBERT/XLM-R-style: Nmt + NFKC + Replace normalizers, Metaspace, Unigram,
             TemplateProcessing with type ids
  odd        options: BPE with "##" continuing prefix and "</w>" suffix, NFD + StripAccents + Lowercase +
             Strip + Replace + Prepend, Sequence of Split (regex, merged with next), Punctuation, Digits,
             WhitespaceSplit; added tokens single_word / rstrip / normalized; a template special with two ids
  metafirst  Unigram with Metaspace prepend_scheme "first", NFC and Lowercase, no post-processor
Then encodes the held-out texts of Tests/Fixtures/tokenizer (their texts and pairs, with their
max_length) plus hard cases with each, and writes the ids and type ids the library gives.

`scripts/gen_tokenizer_json_fixtures.py spm` writes only the XLM-R-style fixture (needs the
`sentencepiece` and `protobuf` packages and transformers):
  spm.json        a sentencepiece Unigram model trained here with its own small normalization
                  rules (full-width forms, ligatures, odd spaces, a deleted zero-width space,
                  two-code-point keys), so its precompiled_charsmap stays a few KB (the nmt_nfkc
                  one of real XLM-R files is ~300 KB), converted by transformers'
                  XLMRobertaConverter: Precompiled + Strip + Replace, Metaspace, Unigram,
                  TemplateProcessing with <s> </s>
  spm-cases.jsonl the same texts as cases.jsonl plus cases the charsmap rewrites, with the ids of
                  transformers' fast tokenizer over spm.json
"""
import json, os, random, sys

from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers,
                        processors, trainers)

CACHE = os.path.expanduser("~/.local/share/finemix/cache")
HERE = os.path.dirname(os.path.abspath(__file__))
OLD = os.path.join(HERE, "..", "Tests/Fixtures/tokenizer")
OUT = os.path.join(HERE, "..", "Tests/Fixtures/tokenizer-json")


def corpus():
    lines = []
    for name in ("movieReviewSnippets_GroundTruth.txt", "amazonReviewSnippets_GroundTruth.txt"):
        with open(os.path.join(CACHE, "vader", name), encoding="utf-8") as f:
            lines += [l.rstrip("\n").split("\t", 2)[2] for l in f if l.count("\t") >= 2]
    # a few non-Latin lines so the alphabets hold accents, CJK and emoji
    lines += ["Héllo wörld café naïve résumé Ångström"] * 20 + ["我爱北京天安门 日本語のテキスト 한국어"] * 20
    lines += ["I love this 😀😂👍 ❤️ movie"] * 20
    return lines


def wordpiece(lines):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=False, lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(lines, trainers.WordPieceTrainer(vocab_size=2000, special_tokens=specials))
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")),
                                                   ("[CLS]", tok.token_to_id("[CLS]")))
    tok.decoder = decoders.WordPiece()
    return tok


def bytebpe(lines):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=2000, special_tokens=specials,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")),
                                                      ("<s>", tok.token_to_id("<s>")))
    tok.decoder = decoders.ByteLevel()
    return tok


def unigram(lines):
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.Nmt(), normalizers.NFKC(),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    specials = ["[PAD]", "<unk>", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(lines, trainers.UnigramTrainer(vocab_size=2000, special_tokens=specials,
                                                           unk_token="<unk>"))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    tok.decoder = decoders.Metaspace()
    return tok


def odd(lines):
    tok = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([
        normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase(), normalizers.Strip(),
        normalizers.Replace("``", '"'), normalizers.Prepend("~")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"n't\b"), behavior="merged_with_next"),
        pre_tokenizers.Split("--", behavior="isolated"),
        pre_tokenizers.Punctuation(behavior="contiguous"),
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.WhitespaceSplit()])
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=600, special_tokens=specials,
                                                       continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.add_tokens([AddedToken("movie", single_word=True, normalized=True),
                    AddedToken("ok!", rstrip=True, normalized=False),
                    AddedToken("Film", lstrip=True, single_word=False, normalized=False)])
    tok.add_special_tokens([AddedToken("[SEP2]", special=True)])
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP2] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]")),
                        {"id": "[SEP2]", "ids": [tok.token_to_id("[SEP]"), tok.token_to_id("[SEP2]")],
                         "tokens": ["[SEP]", "[SEP2]"]}])
    return tok


def metafirst(lines):
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Whitespace(),
        pre_tokenizers.Metaspace(replacement="_", prepend_scheme="first", split=True)])
    specials = ["<pad>", "<unk>", "<s>", "</s>", "<mask>"]
    tok.train_from_iterator(lines, trainers.UnigramTrainer(vocab_size=500, special_tokens=specials,
                                                           unk_token="<unk>"))
    return tok


HARD = [
    "", " ", "   \t  \n ", "Héllo Wörld! Ça va? naïve café résumé Ångström ÉCOLE",
    "e\u0301 a\u0300 o\u0308 combining: cafe\u0301", "Ελληνικά ΟΔΟΣ", "Русский текст: Привет, мир!",
    "ﬁnance ﬂow Ⅻ ① ㎏ ｆｕｌｌｗｉｄｔｈ", "我爱北京天安门。", "中文English混合text测试",
    "I love this movie 😀😂👍🏽 so much ❤️", "👨‍👩‍👧‍👦 family 🇺🇸", "zero\u200bwidth\ufeffhere soft\u00adhyphen",
    "control\x00chars\x01here\x07bell", "tab\tnew\nline\rreturn\x0bvt\x0cff\x85nel", "replacement \ufffd char",
    "a" * 120, "supercalifragilisticexpialidocious" * 4, "multiple     spaces\t\ttabs   ",
    "   leading and trailing   ", "don't won't it's can't -- ``quoted'' --dash", "3.14159 1,000,000 42 007",
    "<s> <mask> </s> <pad> <unk> [CLS] [SEP] [MASK] [SEP2]", "a <mask> b<mask>c   <mask>  d",
    "the movie movies moviegoer a-movie ok! ok!   fine Film  Film", "Movie MOVIE  ok!x",
    "!!!???...,,,", "https://www.example.com/path?q=1&x=y", "ℌ𝔢𝔩𝔩𝔬 𝐛𝐨𝐥𝐝 Ｈｅｌｌｏ　Ｗｏｒｌｄ",
]


def cases():
    rows = []
    for name in ("heldout.jsonl", "heldout2.jsonl"):
        with open(os.path.join(OLD, name), encoding="utf-8") as f:
            rows += [json.loads(l) for l in f]
    rng = random.Random(14)
    singles = [r for r in rows if r["pair"] is None]
    pairs = [r for r in rows if r["pair"] is not None]
    picked = rng.sample(singles, 60) + rng.sample(pairs, 20)
    out = [(r["text"], r["pair"], r["max_length"]) for r in picked]
    out += [(t, None, None) for t in HARD]
    out += [(t, None, m) for t, m in zip(HARD[3:15], [2, 3, 4, 5, 8, 10] * 2)]
    out += [(a, b, m) for a, b, m in zip(HARD[3:13], HARD[13:23], [None, 5, 6, 7, 9, 12, 16, None, 8, 11])]
    return out


def encode(tok, text, pair, max_length):
    if max_length is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(max_length, strategy="longest_first")
    e = tok.encode(text, pair) if pair is not None else tok.encode(text)
    return e.ids, e.type_ids


# (source code points, replacement) rules for the sentencepiece normalizer builder
SPM_RULES = ([([c], [c - 0xFEE0]) for c in range(0xFF01, 0xFF5F)]            # full-width ASCII
             + [([c], [0x20]) for c in (0x3000, 0xA0, 0x2002, 0x2009, 0x202F)]  # odd spaces
             + [([0x200B], [])]                                                # deleted
             + [([0xFB01], [0x66, 0x69]), ([0xFB02], [0x66, 0x6C]), ([0x2167], [0x56, 0x49, 0x49, 0x49])]
             + [([0x65, 0x301], [0xE9]), ([0x61, 0x300], [0xE0])])             # two-code-point keys

SPM_HARD = [
    "Ｈｅｌｌｏ　Ｗｏｒｌｄ！ ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３", "ﬁnance ﬂow ﬁﬂ Ⅷ", "odd\u00a0spaces\u2002here\u2009and\u202fthere",
    "zero\u200bwidth\u200b\u200bgone", "cafe\u0301 voila\u0300 e\u0301\u0301 a\u0300\u0301",
    "Ａ\u0301 ﬁ\u0301 Ａ\u0301\u0301 Ｈ\u0308\u0301", "e\u0301e\u0301e\u0301 éé", "👨‍👩‍👧 Ｘ👍🏽 🇺🇸Ａ",
    "line\r\nＡ\r\n", "　leading full-width space and trailing　", "mixed Ｔｅｘｔ　 with  ﬁve   spaces",
]


def spm_tokenizer(lines):
    import tempfile
    import sentencepiece as spm
    from transformers.convert_slow_tokenizer import XLMRobertaConverter
    tmp = tempfile.mkdtemp()
    rules = os.path.join(tmp, "rules.tsv")
    with open(rules, "w") as f:
        for src, dst in SPM_RULES:
            f.write(" ".join("%04X" % c for c in src) + "\t" + " ".join("%04X" % c for c in dst) + "\n")
    prefix = os.path.join(tmp, "spm")
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=prefix, vocab_size=800,
                                   model_type="unigram", normalization_rule_tsv=rules, character_coverage=1.0,
                                   minloglevel=2, num_threads=1)

    class Slow:  # what the converter reads of a slow XLMRobertaTokenizer
        vocab_file = prefix + ".model"
        add_prefix_space, legacy, special_tokens = True, True, {}
        def convert_tokens_to_ids(self, t): return {"<s>": 0, "</s>": 2}[t]
    return XLMRobertaConverter(Slow()).converted()


def spm_main():
    import transformers as tf
    from tokenizers import Tokenizer as T
    import tempfile, shutil
    tmp = tempfile.mkdtemp()
    spm_tokenizer(corpus()).save(os.path.join(tmp, "converted.json"), pretty=False)
    # saved by transformers, as a downloaded XLM-R folder has it: <pad>, <unk>, <mask> among the added tokens
    tf.XLMRobertaTokenizer(tokenizer_file=os.path.join(tmp, "converted.json")).save_pretrained(tmp)
    path = os.path.join(OUT, "spm.json")
    shutil.copy(os.path.join(tmp, "tokenizer.json"), path)
    fast = tf.XLMRobertaTokenizer(tokenizer_file=path)
    assert type(fast.backend_tokenizer.normalizer).__name__ == "Sequence"
    engine = T.from_file(path)
    with open(os.path.join(OUT, "spm-cases.jsonl"), "w", encoding="utf-8") as f:
        for text, pair, m in cases() + [(t, None, None) for t in SPM_HARD] + [(a, b, 9) for a, b in zip(SPM_HARD, SPM_HARD[5:])]:
            kw = dict(truncation="longest_first", max_length=m) if m else {}
            ids = fast(text, pair, **kw)["input_ids"] if pair is not None else fast(text, **kw)["input_ids"]
            assert ids == encode(engine, text, pair, m)[0], (text, pair, m)
            f.write(json.dumps({"text": text, "pair": pair, "max_length": m, "spm": ids}, ensure_ascii=False) + "\n")
    print("spm", os.path.getsize(path), "bytes;", fast.convert_ids_to_tokens(fast(SPM_HARD[5])["input_ids"]))


def main():
    if sys.argv[1:] == ["spm"]:
        return spm_main()
    os.makedirs(OUT, exist_ok=True)
    lines = corpus()
    toks = {"wordpiece": wordpiece(lines), "bytebpe": bytebpe(lines), "unigram": unigram(lines),
            "odd": odd(lines), "metafirst": metafirst(lines)}
    for name, tok in toks.items():
        tok.no_truncation()
        tok.save(os.path.join(OUT, name + ".json"), pretty=False)
    with open(os.path.join(OUT, "cases.jsonl"), "w", encoding="utf-8") as f:
        for text, pair, m in cases():
            row = {"text": text, "pair": pair, "max_length": m}
            for name, tok in toks.items():
                ids, types = encode(tok, text, pair, m)
                row[name] = ids
                if any(types):
                    row[name + "_types"] = types
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    for name, tok in toks.items():
        print(name, tok.get_vocab_size(), tok.encode("Héllo the movie <mask> don't 😀").tokens)


if __name__ == "__main__":
    main()
