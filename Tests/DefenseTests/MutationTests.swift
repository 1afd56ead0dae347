import Foundation
import Testing
@testable import Defense

/// Seeded random mutations of real files (the fuzz seeds in Tests/Fixtures/fuzz, written by
/// scripts/gen_fuzz_corpus.py) through every parser of untrusted input: each mutant either parses
/// or is refused with a FinemixError, never a crash, a hang or another error type. The CI-sized
/// complement of scripts/fuzz.sh (libFuzzer), reproducible from the seed.
enum Mutate {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    static func fixture(_ target: String, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(target).appendingPathComponent(name)))
    }

    /// Bytes that matter to the formats: JSON and CSV punctuation, digits, newlines, quotes,
    /// a byte-order mark's first byte, invalid UTF-8 lead/continuation bytes, NUL.
    static let interesting: [UInt8] = Array("{}[]\":,-0123456789eE.\"'\t\n\r =#\\".utf8) + [0x00, 0xEF, 0xC3, 0x80, 0xFF, 0xFE, 0x7F]

    /// One to four random edits: flip a bit, set a byte (often an interesting one), delete or
    /// duplicate a run, insert bytes, truncate, or write a random little-endian integer.
    static func mutant(_ base: [UInt8], _ r: inout SeededRandom) -> [UInt8] {
        var b = base
        for _ in 0..<(1 + r.below(4)) {
            let n = b.count
            let at = n == 0 ? 0 : r.below(n)
            switch r.below(9) {
            case 0 where n > 0: b[at] ^= UInt8(1 << r.below(8))
            case 1 where n > 0: b[at] = interesting[r.below(interesting.count)]
            case 2 where n > 0: b[at] = UInt8(truncatingIfNeeded: r.next())
            case 3 where n > 0: b.removeSubrange(at..<min(n, at + 1 + r.below(16)))
            case 4 where n > 0: b.insert(contentsOf: b[at..<min(n, at + 1 + r.below(32))], at: r.below(n))
            case 5: b.insert(contentsOf: (0..<(1 + r.below(8))).map { _ in interesting[r.below(interesting.count)] }, at: at)
            case 6 where n > 0: b.removeSubrange(r.below(n)...)
            case 7 where n >= 8:
                var v = [UInt64(0), 1, 2, 0x7fff_ffff, 0xffff_ffff, UInt64(Int64.max), UInt64.max, r.next()][r.below(8)].littleEndian
                let p = r.below(2) == 0 ? 0 : r.below(n - 7)   // often the safetensors header length
                withUnsafeBytes(of: &v) { for k in 0..<8 { b[p + k] = $0[k] } }
            default: if n > 0 { b[at] = UInt8(truncatingIfNeeded: Int(b[at]) + 1 - 2 * r.below(2)) }
            }
        }
        return b
    }

    /// The FinemixError's message, or a description of what happened instead.
    static func outcomeMessage(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as FinemixError { return e.message } catch { return "not a FinemixError: \(error)" }
        return "no error"
    }

    /// Runs `body` and sorts the outcome: true when it returned, false on a FinemixError; any
    /// other error is recorded as a test failure with the mutant's index.
    static func outcome(_ i: Int, _ what: String, _ body: () throws -> Void) -> Bool {
        do { try body(); return true } catch is FinemixError { return false } catch {
            Issue.record("\(what) mutant \(i): \(type(of: error)) instead of FinemixError: \(error)")
            return false
        }
    }
}

@Suite struct MutationTests {
    /// 2,000 mutants of a real tiny BERT safetensors file (written by the safetensors library):
    /// opened, every tensor read (floats, ranges, integers), then loaded as a model folder.
    @Test func safetensorsMutantsLoadOrThrowFinemixError() throws {
        let dir = TempDir()
        let folder = dir.url.appendingPathComponent("m")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(Mutate.fixture("config", "tiny-bert-config.json")).write(to: folder.appendingPathComponent("config.json"))
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (5..<16).map { "t\($0)" }
        try Data(vocab.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))
        let weights = folder.appendingPathComponent("model.safetensors")
        let bases = try ["tiny-bert.safetensors", "tiny-bert-f16-nohead.safetensors", "mixed-dtypes.safetensors"]
            .map { try Mutate.fixture("safetensors", $0) }
        var r = SeededRandom(seed: 2026, stream: "mutate-safetensors")
        var loaded = 0, refused = 0
        for i in 0..<2000 {
            let base = bases[i % bases.count]
            // Half the mutants aim at the 8-byte length and the JSON header, where the parsing is.
            var m = Mutate.mutant(base, &r)
            if i % 2 == 0 {
                let headerEnd = min(base.count, 8 + Int(base.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
                m = Array(Mutate.mutant(Array(base[..<headerEnd]), &r)) + base[headerEnd...]
            }
            try Data(m).write(to: weights)
            let ok = Mutate.outcome(i, "safetensors") {
                let f = try SafetensorsFile(weights)
                for name in f.tensorNames {
                    let n = f.shape(of: name)!.reduce(1, *)
                    var v = [Float](repeating: 0, count: n)
                    try v.withUnsafeMutableBufferPointer { try f.readFloats(name, into: $0) }
                    var s = [Float](repeating: 0, count: n)
                    _ = try s.withUnsafeMutableBufferPointer { s in try f.withFloats(name, in: (n / 2)..<n, scratch: s) { $0.count } }
                }
                for name in f.integerTensorNames { _ = try f.int64s(name) }
                if i % bases.count < 2 { _ = try BertModel.load(try CheckpointFolder(folder)) }
            }
            if ok { loaded += 1 } else { refused += 1 }
        }
        // Both outcomes occur: the mutations are neither all harmless nor all fatal.
        // (44 of 2,000 load since the data region must end exactly with the last tensor, as the reference requires)
        #expect(loaded > 20 && refused > 500, "loaded \(loaded), refused \(refused)")
    }

    /// 2,000 mutants of real config.json files (transformers' tiny BERT, all-MiniLM-L6-v2's): bytes
    /// and field values swapped for hostile ones (negative, zero, huge, wrong type).
    @Test func configMutantsLoadOrThrowFinemixError() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("config.json")
        let bases = try ["tiny-bert-config.json", "minilm-config.json"].map { try Mutate.fixture("config", $0) }
        let hostile = ["-1", "0", "1e30", "9223372036854775807", "18446744073709551616", "\"x\"", "null", "true",
                       "[]", "{}", "1.5", "65537", "10000001", "{\"0\": \"a\", \"2\": \"b\"}"]
        var r = SeededRandom(seed: 2026, stream: "mutate-config")
        var loaded = 0
        for i in 0..<2000 {
            var m = Mutate.mutant(bases[i % 2], &r)
            if i % 2 == 0 {
                // Replace the value after a random key with a hostile one.
                var text = String(decoding: bases[i % 2], as: UTF8.self)
                let keys = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                            "max_position_embeddings", "type_vocab_size", "id2label", "label2id", "layer_norm_eps", "hidden_act"]
                let key = "\"\(keys[r.below(keys.count)])\": "
                if let k = text.range(of: key) {
                    let valueEnd = text[k.upperBound...].firstIndex { $0 == "," || $0 == "\n" } ?? text.endIndex
                    text.replaceSubrange(k.upperBound..<valueEnd, with: hostile[r.below(hostile.count)])
                }
                m = Array(text.utf8)
            }
            try Data(m).write(to: url)
            if Mutate.outcome(i, "config.json", {
                let c = try CheckpointFolder.loadConfig(url)
                #expect(c.hiddenSize % c.numAttentionHeads == 0 && c.vocabSize >= 1)
                _ = ParameterLayout(c).count
            }) { loaded += 1 }
        }
        #expect(loaded > 100 && loaded < 1900, "loaded \(loaded)")
    }

    /// 500 mutants of vocab.txt lines (all-MiniLM-L6-v2's), each then used by the tokenizer.
    @Test func vocabularyMutantsLoadOrThrowFinemixError() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("vocab.txt")
        let bases = try ["minilm-head.txt", "minilm-mixed.txt", "crlf.txt"].map { try Mutate.fixture("vocab", $0) }
        var r = SeededRandom(seed: 2026, stream: "mutate-vocab")
        var loaded = 0
        for i in 0..<500 {
            let m = Mutate.mutant(bases[i % 3], &r)
            try Data(m).write(to: url)
            if Mutate.outcome(i, "vocab.txt", {
                let v = try Vocabulary(url: url)
                let e = Tokenizer(vocab: v).encode("The [MASK] movie, playing héllo 日本 [SEP] x", "pair [CLS]", maxLength: 12)
                #expect(e.ids.allSatisfy { $0 >= 0 && Int($0) < v.count } && e.ids.count <= 12)
            }) { loaded += 1 }
        }
        #expect(loaded > 50 && loaded < 500, "loaded \(loaded)")
    }

    /// 2,000 mutants each of real TSV (VADER), CSV (Pang & Lee) and JSONL rows, read with varied
    /// options: a dataset or a FinemixError naming the file.
    @Test func datasetMutantsReadOrThrowFinemixError() throws {
        let seeds = try ["vader.tsv", "pang.csv", "header.tsv", "quoted.csv", "rows.jsonl", "rating.jsonl"]
            .map { (name: $0, bytes: Array(try Mutate.fixture("dataset", $0).dropFirst())) }
        let rules: [LabelRule] = [.discover, .numeric, .threshold(at: 0, neutralBand: 0.1), .map(labels: ["neg": 0, "pos": 1, "0": 0, "1": 1])]
        var r = SeededRandom(seed: 2026, stream: "mutate-dataset")
        var read = 0
        for i in 0..<6000 {
            let seed = seeds[i % seeds.count]
            let path = "mutant-\(i)." + (seed.name as NSString).pathExtension
            var options = ReadOptions(labels: rules[r.below(rules.count)], strict: r.below(4) == 0)
            if !seed.name.hasSuffix("jsonl") && !seed.name.hasPrefix("header") {
                options.text = .index(["vader.tsv": 2, "pang.csv": 1][seed.name] ?? 0)
                options.label = .index(seed.name == "pang.csv" ? 0 : 1)
            }
            if r.below(4) == 0 { options.pair = seed.name.hasSuffix("jsonl") ? .name("pair") : .index(2) }
            let m = Mutate.mutant(seed.bytes, &r)
            if Mutate.outcome(i, path, {
                let d = try DatasetReader.read(data: Data(m), path: path, options: options)
                #expect(!d.examples.isEmpty && d.examples.allSatisfy { $0.label >= 0 && $0.label < d.numLabels })
            }) { read += 1 }
        }
        #expect(read > 500 && read < 5900, "read \(read)")
    }

    /// 2,000 mutated command lines (the committed scripts' lines), each parsed, checked against its
    /// verb and its option values read as numbers, ranges, flags, triggers and label rules.
    @Test func commandLineMutantsParseOrThrowFinemixError() throws {
        let lines = try ["demo-scenario.fm", "walkthrough.fm", "options.fm"]
            .flatMap { String(decoding: try Mutate.fixture("command", $0), as: UTF8.self).split(separator: "\n").map { Array($0.utf8) } }
        var r = SeededRandom(seed: 2026, stream: "mutate-command")
        var parsed = 0
        for i in 0..<2000 {
            let line = String(decoding: Mutate.mutant(lines[r.below(lines.count)], &r), as: UTF8.self)
            if Mutate.outcome(i, "command '\(line)'", {
                guard let c = try CommandParser.parse(line) else { return }
                if let spec = Verbs.spec(c.verb) { try? spec.validate(c) }
                for (key, value) in c.options {
                    for read in [{ _ = try c.double(key, default: 0, in: 0...1) }, { _ = try c.int(key, default: 0) },
                                 { _ = try c.flag(key, default: false) }, { _ = try parseRange(value, name: key) },
                                 { _ = try Trigger.parse(value) }, { _ = try LabelRule.parse(value) }] {
                        _ = Mutate.outcome(i, "option \(key)=\(value)", read)
                    }
                }
            }) { parsed += 1 }
        }
        #expect(parsed > 1000, "parsed \(parsed)")
    }

    /// 2,000 mutants of real attack.json files (a planted victim's, and that record for a data
    /// file and for embedding poisoning), read as `load victim` reads them: a record or a
    /// FinemixError naming the file.
    @Test func attackRecordMutantsReadOrThrowFinemixError() throws {
        let dir = TempDir()
        let bases = try ["attack.json", "attack-file.json", "attack-ep.json"].map { try Mutate.fixture("attack", $0) }
        let url = dir.url.appendingPathComponent(AttackRecord.fileName)
        var r = SeededRandom(seed: 2026, stream: "mutate-attack")
        var read = 0
        for i in 0..<2000 {
            try Data(Mutate.mutant(bases[i % bases.count], &r)).write(to: url)
            if Mutate.outcome(i, "attack.json", {
                let record = try AttackRecord.read(folder: dir.url)
                _ = record.recipe.poison
                _ = record.split.spec
                _ = try Trigger.parse(record.recipe.trigger.description)
            }) { read += 1 }
        }
        #expect(read > 20 && read < 1950, "read \(read)")
    }

    /// 2,000 mutants of real session journals (one whole, one cut mid-line as a crash leaves it,
    /// one without its last newline), opened as `--resume` opens them, their replayed lines
    /// checked, then appended to: the append heals the file, which reads back whole.
    @Test func journalMutantsOpenOrThrowFinemixErrorAndAppendsHeal() throws {
        let dir = TempDir()
        let bases = try ["session.jsonl", "torn.jsonl", "no-newline.jsonl"].map { try Mutate.fixture("journal", $0) }
        let url = dir.url.appendingPathComponent("journal.jsonl")
        var r = SeededRandom(seed: 2026, stream: "mutate-journal")
        var opened = 0
        for i in 0..<2000 {
            try Data(Mutate.mutant(bases[i % bases.count], &r)).write(to: url)
            if Mutate.outcome(i, "journal", {
                let j = try Journal(url: url)
                _ = ScriptCheck.check([ScriptCheck.Source(name: "journal", lines: Session.replayLines(of: j))])
                try j.append(JournalEntry(time: Date(timeIntervalSince1970: 0), command: "eval", ok: true))
                let again = try Journal(url: url)
                #expect(again.entries == j.entries && !again.droppedTornLine, "mutant \(i)")
            }) { opened += 1 }
        }
        #expect(opened > 200 && opened < 1990, "opened \(opened)")
    }

    /// The first input every fuzz target met: an empty file. (libFuzzer reported it only for a
    /// 4 KB leak inside Foundation's Data(contentsOf:), not in finemix; each parser refuses it.)
    @Test func emptyFilesAreRefusedByEveryFileParser() throws {
        let dir = TempDir()
        let empty = try dir.file("empty", Data())
        let messages = [
            Mutate.outcomeMessage { _ = try SafetensorsFile(empty) },
            Mutate.outcomeMessage { _ = try CheckpointFolder.loadConfig(empty) },
            Mutate.outcomeMessage { _ = try Vocabulary(url: empty) },
            Mutate.outcomeMessage { _ = try DatasetReader.read(data: Data(), path: "empty.tsv") },
            Mutate.outcomeMessage { _ = try DatasetReader.read(data: Data(), path: "empty.jsonl") },
        ]
        #expect(messages[0] == "\(empty.path): not a safetensors file: 0 bytes, shorter than the 8-byte header length")
        #expect(messages[1] == "\(empty.path): not a JSON object (malformed JSON)")
        #expect(messages[2] == "vocabulary \(empty.path) is empty")
        #expect(messages[3] == "empty.tsv: line 1: the file is empty" && messages[4] == "empty.jsonl: line 1: the file is empty")
        #expect(try CommandParser.parse("") == nil && CommandParser.parseScript("", source: "s").isEmpty)
    }

    /// The tokenizer (all-MiniLM-L6-v2's vocabulary) on 2,000 random byte strings and random
    /// Unicode scalars: ids in range, [CLS] first and [SEP] last, the length bound kept, and the
    /// same ids twice.
    @Test func tokenizerOnRandomBytesAndScalars() throws {
        let tokenizer = try Tokenizer(vocabURL: try ResourceCache().minilm())
        let v = tokenizer
        var r = SeededRandom(seed: 2026, stream: "mutate-tokenizer")
        for i in 0..<2000 {
            let n = r.below(200)
            let text: String
            if i % 2 == 0 {
                text = String(decoding: (0..<n).map { _ in UInt8(truncatingIfNeeded: r.next()) }, as: UTF8.self)
            } else {
                var s = String.UnicodeScalarView()
                for _ in 0..<n {
                    // Mostly low planes (scripts, CJK, combining marks), sometimes anywhere.
                    let limit = r.below(4) == 0 ? 0x110000 : 0x3400
                    if let c = Unicode.Scalar(UInt32(r.below(limit))) { s.append(c) }
                    if r.below(20) == 0 { s.append(contentsOf: ["[SEP]", "[MASK]", "[UNK", "##"][r.below(4)].unicodeScalars) }
                }
                text = String(s)
            }
            let max = 3 + r.below(64)
            let e = tokenizer.encode(text, maxLength: max)
            #expect(e.ids.count <= max && e.ids.count == e.typeIds.count)
            #expect(e.ids.first == v.cls && e.ids.last == v.sep)
            #expect(e.ids.allSatisfy { $0 >= 0 && Int($0) < v.count })
            let p = tokenizer.encode(text, String(text.reversed()), maxLength: max)
            #expect(p.ids.count <= max && p.ids.count == p.typeIds.count)
            #expect(tokenizer.ids(text) == tokenizer.ids(text))
        }
    }
}
