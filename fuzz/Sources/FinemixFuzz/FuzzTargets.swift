import Defense
import Foundation
import TUI

/// One fuzz target per parser of untrusted input, chosen by FINEMIX_FUZZ_TARGET. Each feeds the
/// input to the parser and then uses what it returned, as finemix would; a FinemixError is the
/// expected way to refuse, any other error is a finding (so is a crash, a hang or an ASan report).
enum FuzzTargets {
    nonisolated(unsafe) static var target = ""
    nonisolated(unsafe) static var dir = URL(fileURLWithPath: "/tmp")
    nonisolated(unsafe) static var tokenizer: BertTokenizer? = nil

    /// A tiny BERT the safetensors target loads its input as (its seeds are such models).
    static let tinyConfig = """
        {"vocab_size": 16, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2,
         "intermediate_size": 8, "max_position_embeddings": 8, "type_vocab_size": 2,
         "id2label": {"0": "neg", "1": "pos"}, "label2id": {"neg": 0, "pos": 1}}
        """
    static let tinyVocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "good", "bad",
                            "cf", "mn", "##s", "##ing", "a", ",", "."]

    static func setUp() {
        target = ProcessInfo.processInfo.environment["FINEMIX_FUZZ_TARGET"] ?? ""
        let shm = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        dir = URL(fileURLWithPath: shm).appendingPathComponent("finemix-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzTargets.dir) }
        try? Data(tinyConfig.utf8).write(to: dir.appendingPathComponent("config.json"))
        try? Data((tinyVocab.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("vocab.txt"))
        // The tokenizer target uses a real vocabulary when the script names one.
        let vocabPath = ProcessInfo.processInfo.environment["FINEMIX_FUZZ_VOCAB"]
        let vocab = vocabPath.flatMap { try? Vocabulary(url: URL(fileURLWithPath: $0)) }
            ?? (try! Vocabulary(tokens: tinyVocab))
        tokenizer = BertTokenizer(vocab: vocab)
        let known = ["safetensors", "config", "vocab", "tokenizer", "dataset", "command", "attack", "journal", "keys"]
        guard known.contains(target) else {
            FileHandle.standardError.write(Data("FINEMIX_FUZZ_TARGET must be one of \(known.joined(separator: ", "))\n".utf8))
            exit(2)
        }
    }

    static func run(_ bytes: [UInt8]) {
        do {
            switch target {
            case "safetensors": try safetensors(bytes)
            case "config": try config(bytes)
            case "vocab": try vocab(bytes)
            case "tokenizer": tokenize(bytes)
            case "dataset": try dataset(bytes)
            case "command": try command(bytes)
            case "attack": try attack(bytes)
            case "journal": try journal(bytes)
            case "keys": keys(bytes)
            default: break
            }
        } catch is FinemixError {
        } catch {
            fatalError("\(target): an error other than FinemixError escaped: \(error)")
        }
    }

    static func write(_ bytes: [UInt8], _ name: String) -> URL {
        let url = dir.appendingPathComponent(name)
        try! Data(bytes).write(to: url)
        return url
    }

    /// The file alone (every tensor read back, floats and integers), then as the weights of a
    /// tiny model folder (shape checks, loading, non-finite checks).
    static func safetensors(_ bytes: [UInt8]) throws {
        let url = write(bytes, "model.safetensors")
        let file = try SafetensorsFile(url)
        for name in file.tensorNames {
            guard let shape = file.shape(of: name) else { continue }
            let count = shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)
            try values.withUnsafeMutableBufferPointer { try file.readFloats(name, into: $0) }
            var scratch = [Float](repeating: 0, count: count)
            try scratch.withUnsafeMutableBufferPointer { s in
                _ = try file.withFloats(name, in: 0..<count, scratch: s) { $0.reduce(0, +) }
                if count > 1 { _ = try file.withFloats(name, in: 1..<count, scratch: s) { $0.first } }
            }
        }
        for name in file.integerTensorNames { _ = try file.int64s(name) }
        let folder = try CheckpointFolder(dir)
        _ = try BertModel.load(folder)
    }

    /// config.json of a model folder; then the shapes it implies (no weights are allocated here).
    static func config(_ bytes: [UInt8]) throws {
        let url = write(bytes, "fuzz-config.json")
        let c = try CheckpointFolder.loadConfig(url)
        _ = CheckpointFolder.expectedShapes(c, withHead: c.id2label != nil)
        _ = ParameterLayout(c).count
    }

    /// vocab.txt, then the tokenizer over it on a fixed sentence and on the file's own text.
    static func vocab(_ bytes: [UInt8]) throws {
        let url = write(bytes, "fuzz-vocab.txt")
        let v = try Vocabulary(url: url)
        let t = BertTokenizer(vocab: v)
        _ = t.encode("The movie [SEP] was good, cf mn héllo 日本 ##ing", maxLength: 32)
        _ = t.encode(String(decoding: bytes.prefix(512), as: UTF8.self), "pair", maxLength: 16)
        for id in 0..<min(v.count, 64) { _ = v.token(Int32(id)).map { v.id($0) } }
    }

    /// The tokenizer on arbitrary bytes (as text read from a file would reach it), single and
    /// paired, with the first byte choosing a maximum length.
    static func tokenize(_ bytes: [UInt8]) {
        guard let t = tokenizer else { return }
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
        let max = Int(bytes.first ?? 0)
        let e = t.encode(text, maxLength: max < 3 ? nil : max)
        precondition(e.ids.count == e.typeIds.count)
        if max >= 3 { precondition(e.ids.count <= max) }
        let half = text.index(text.startIndex, offsetBy: text.count / 2)
        let p = t.encode(String(text[..<half]), String(text[half...]), maxLength: max < 3 ? nil : max)
        precondition(p.ids.count == p.typeIds.count)
        if max >= 3 { precondition(p.ids.count <= max) }
        _ = t.tokenize(text)
    }

    /// A TSV, CSV or JSONL dataset; the first byte chooses the format, header, strictness, label
    /// rule and columns, the rest is the file.
    static func dataset(_ bytes: [UInt8]) throws {
        guard let sel = bytes.first else { return }
        let format: DataFormat = [.tsv, .csv, .jsonl][Int(sel % 3)]
        let rules: [LabelRule] = [.discover, .numeric, .threshold(at: 0, neutralBand: 0.1), .map(labels: ["neg": 0, "pos": 1, "0": 0, "1": 1])]
        var options = ReadOptions(format: format, labels: rules[Int(sel >> 4) & 3], strict: sel & 8 != 0)
        if format != .jsonl && sel & 4 == 0 {
            options.text = .index(0); options.label = .index(1); options.header = sel & 64 != 0
        }
        if sel & 128 != 0 { options.pair = format == .jsonl ? .name("pair") : (sel & 4 == 0 ? .index(2) : .name("pair")) }
        let ds = try DatasetReader.read(data: Data(bytes.dropFirst()), path: "fuzz.\(format.rawValue)", options: options)
        _ = ds.examples.count
    }

    /// The command language: a script of lines, each checked against its verb's spec and its
    /// options read as numbers, ranges, flags and triggers, as the session would.
    static func command(_ bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        for (_, c) in try CommandParser.parseScript(text, source: "fuzz.fm") {
            if let spec = Verbs.spec(c.verb) { try? spec.validate(c) }
            for key in c.options.keys {
                _ = try? c.double(key, default: 0, in: 0...1)
                _ = try? c.int(key, default: 0, in: 0...1000)
                _ = try? c.flag(key, default: false)
                _ = try? parseRange(c.options[key]!, name: key)
                _ = try? Trigger.parse(c.options[key]!)
                _ = try? LabelRule.parse(c.options[key]!)
            }
            for a in c.arguments {
                _ = try? Trigger.parse(a)
                _ = try? parseRange(a, name: "argument")
            }
        }
    }

    /// attack.json beside a victim's weights: read as `load victim` reads it, then every part
    /// the session and `finemix defend` use (the poison, the fine-tune recipe, the split).
    static func attack(_ bytes: [UInt8]) throws {
        let folder = dir.appendingPathComponent("victim")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try! Data(bytes).write(to: folder.appendingPathComponent(AttackRecord.fileName))
        let r = try AttackRecord.read(folder: folder)
        _ = r.recipe.poison
        _ = r.recipe.fineTune
        _ = r.split.spec
        _ = try Trigger.parse(r.recipe.trigger.description)
        _ = try r.encoded()
    }

    /// journal.jsonl as `--resume` reads it: the entries, the lines it replays, the check of
    /// those lines; then an append (which cuts a torn tail) and the file read again.
    static func journal(_ bytes: [UInt8]) throws {
        let url = write(bytes, "journal.jsonl")
        let j = try Journal(url: url)
        let lines = Session.replayLines(of: j)
        let checked = ScriptCheck.check([ScriptCheck.Source(name: "journal.jsonl", lines: lines)])
        precondition(checked.steps.count <= lines.count)
        for e in j.entries { _ = e.inputs?.map(\.path) }
        try j.append(JournalEntry(time: Date(timeIntervalSince1970: 0), command: "eval", ok: true))
        let again = try Journal(url: url)
        precondition(again.entries.count == j.entries.count && !again.droppedTornLine, "an append did not heal the journal")
    }

    /// keys.conf: every line a binding, an unbinding or a problem naming its line.
    static func keys(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let (map, problems) = KeyConfig.parse(text)
        let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
        precondition(problems.allSatisfy { (1...lineCount).contains($0.line) })
        _ = map.bindings.count
        _ = problems.map(\.description)
    }
}
