import Foundation

/// Writes the parts of a split as data files another framework can read, so a table can be rerun
/// elsewhere on exactly the same sentences in the same order.
///
/// Each part is one file with a header row: `text<TAB>label` (`text<TAB>pair<TAB>label` for
/// pairs), the label as the class index; finemix reads it back with its default columns. TSV has
/// no quoting, so a sentence holding a tab or a line break cannot be written as TSV: it is refused,
/// naming the part and row, rather than changed; JSONL (`{"text":…,"label":…}`) holds any text.
public enum SplitExport {
    public struct Part: Sendable {
        /// The file's stem: "train", "clean-pool", "test", …
        public var name: String
        public var examples: [Example]
        /// What the file holds, for `split.json`.
        public var about: String
        public init(name: String, examples: [Example], about: String) {
            self.name = name; self.examples = examples; self.about = about
        }
    }

    /// Writes one file per part and `split.json` (the description) into `dir`, each atomically.
    /// Checks every part before writing any file.
    public static func write(_ parts: [Part], format: DataFormat, description: [String: Any], to dir: URL) throws {
        guard format != .csv else { throw FinemixError("export writes tsv or jsonl, not csv") }
        let pairs = parts.contains { $0.examples.contains { $0.pair != nil } }
        if format == .tsv {
            for p in parts {
                for (i, e) in p.examples.enumerated() where breaksTSV(e.text) || e.pair.map(breaksTSV) == true {
                    throw FinemixError("\(p.name), example \(i + 1): the sentence holds a tab or a line break, which TSV cannot carry; export with --export-format jsonl")
                }
            }
        }
        var files: [String: Any] = [:]
        for p in parts {
            let file = "\(p.name).\(format.rawValue)"
            let bytes = format == .tsv ? tsv(p.examples, pairs: pairs) : try jsonl(p.examples)
            try AtomicFile.write(bytes, to: dir.appendingPathComponent(file))
            files[file] = ["examples": p.examples.count, "holds": p.about]
        }
        var d = description
        d["files"] = files
        d["columns"] = pairs ? ["text", "pair", "label"] : ["text", "label"]
        let json = try JSONSerialization.data(withJSONObject: d, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(json + Data("\n".utf8), to: dir.appendingPathComponent("split.json"))
    }

    static func breaksTSV(_ s: String) -> Bool {
        s.utf8.contains { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    static func tsv(_ examples: [Example], pairs: Bool) -> Data {
        var out = pairs ? "text\tpair\tlabel\n" : "text\tlabel\n"
        for e in examples {
            out += pairs ? "\(e.text)\t\(e.pair ?? "")\t\(e.label)\n" : "\(e.text)\t\(e.label)\n"
        }
        return Data(out.utf8)
    }

    static func jsonl(_ examples: [Example]) throws -> Data {
        var out = Data()
        for e in examples {
            var row: [String: Any] = ["text": e.text, "label": e.label]
            if let p = e.pair { row["pair"] = p }
            out += try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys, .withoutEscapingSlashes])
            out += Data("\n".utf8)
        }
        return out
    }
}
