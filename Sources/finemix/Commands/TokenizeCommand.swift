import ArgumentParser
import Defense
import Foundation

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text exactly as the model's HuggingFace tokenizer does.",
        discussion: """
            With no TEXT, reads one input per stdin line (with --pair, "first<TAB>second").
            Prints one line per input: the tokens, or with --json {"ids": [...]} including the
            special tokens ([CLS] and [SEP], <s> and </s>, ...; "type_ids" too for pairs).
            """)

    @Option(name: .long, help: "Model folder holding its tokenizer (tokenizer.json, vocab.txt, or vocab.json + merges.txt), or that file itself.")
    var model: String

    @Flag(name: .long, help: "Print {\"ids\": [...]} per input instead of tokens.")
    var json = false

    @Option(name: .long, help: "Truncate to this many ids, the special tokens included (longest-first for pairs).")
    var maxLength: Int?

    @Flag(name: .long, help: "Each input is a sentence pair: \"first<TAB>second\".")
    var pair = false

    @Argument(help: "Texts to tokenize (default: stdin lines).")
    var texts: [String] = []

    func validate() throws {
        if let maxLength, maxLength < (pair ? 3 : 2) {
            throw ValidationError("--max-length must be at least \(pair ? 3 : 2) (room for the special tokens of a \(pair ? "pair" : "sentence"))")
        }
    }

    func run() throws {
        let tokenizer = try failing { try Tokenizer(vocabURL: URL(fileURLWithPath: model)) }
        var out = ""
        func flush(force: Bool) {
            if force || out.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(out.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        func emit(_ text: String, where place: String) throws {
            if pair {
                guard let tab = text.firstIndex(of: "\t") else {
                    throw FinemixError("\(place): expected first<TAB>second for --pair, found no tab")
                }
                let a = String(text[..<tab]), b = String(text[text.index(after: tab)...])
                if json {
                    let e = tokenizer.encode(a, b, maxLength: maxLength)
                    out += "{\"ids\": [\(list(e.ids))], \"type_ids\": [\(list(e.typeIds))]}\n"
                } else {
                    let e = tokenizer.encode(a, b, maxLength: maxLength)
                    // the middle [SEP] shows where the pair splits; the outer specials say nothing
                    out += tokenizer.innerTokens(e, pair: true).joined(separator: " ") + "\n"
                }
            } else if json {
                out += "{\"ids\": [\(list(tokenizer.encode(text, maxLength: maxLength).ids))]}\n"
            } else {
                let e = tokenizer.encode(text, maxLength: maxLength)
                out += tokenizer.innerTokens(e, pair: false).joined(separator: " ") + "\n"
            }
            flush(force: false)
        }
        // what was tokenized before a bad line still reaches stdout
        defer { flush(force: true) }
        try failing {
            if !texts.isEmpty {
                for (i, t) in texts.enumerated() { try emit(t, where: "argument \(i + 1)") }
            } else {
                var number = 0
                try StdinLines.forEach { bytes in
                    number += 1
                    guard let line = String(validating: bytes, as: UTF8.self) else {
                        throw FinemixError("stdin line \(number) is not valid UTF-8")
                    }
                    try emit(line, where: "stdin line \(number)")
                }
            }
        }
    }

    private func list(_ v: [Int32]) -> String { v.map(String.init).joined(separator: ", ") }
}

/// Stdin split at "\n" (a trailing "\r" dropped), as raw bytes so bad UTF-8 can be reported by line.
enum StdinLines {
    static func forEach(_ body: (ArraySlice<UInt8>) throws -> Void) throws {
        var pending: [UInt8] = []
        let input = FileHandle.standardInput
        while true {
            let chunk = input.availableData
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = 0
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                var end = nl
                if end > start, pending[end - 1] == 0x0D { end -= 1 }
                try body(pending[start..<end])
                start = nl + 1
            }
            pending.removeSubrange(0..<start)
        }
        if !pending.isEmpty {
            if pending.last == 0x0D { pending.removeLast() }
            try body(pending[...])
        }
    }
}
