import Defense
import Foundation
import Testing
import TestSupport

/// A model folder as current transformers saves it: tokenizer.json and no vocab.txt. It opens for
/// `finemix tokenize` and `finemix predict`, with the tokenizer.json's ids.
@Suite struct TokenizerJSONFolderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizer-json")

    /// A tiny classifier whose only tokenizer file is the byte-level BPE fixture (2001 ids).
    static func folder(_ root: URL) throws -> URL {
        let dir = try TinyClassifierFolder.make(root, "bpe", vocab: 2001)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("vocab.txt"))
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("bytebpe.json"),
                                         to: dir.appendingPathComponent("tokenizer.json"))
        return dir
    }

    @Test func tokenizeAndPredictOpenAFolderWithOnlyTokenizerJSON() throws {
        let root = TempFolder.url("tokjson")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = try Self.folder(root)
        // the ids HuggingFace tokenizers gives for the fixture's first cases
        let lines = try String(contentsOf: Self.fixtures.appendingPathComponent("cases.jsonl"), encoding: .utf8)
            .split(separator: "\n").prefix(40).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let singles = lines.filter { $0["pair"] is NSNull && $0["max_length"] is NSNull && !($0["text"] as! String).contains("\n") }
        #expect(singles.count >= 10)
        let out = try Binary.run(["tokenize", "--model", dir.path, "--json"],
                                 stdin: singles.map { $0["text"] as! String }.joined(separator: "\n") + "\n")
        #expect(out.status == 0, "\(out.stderr)")
        let got = out.stdout.split(separator: "\n").map(String.init)
        #expect(got.count == singles.count)
        for (line, c) in zip(got, singles) {
            let want = (c["bytebpe"] as! [Any]).map { "\($0)" }.joined(separator: ", ")
            #expect(line == "{\"ids\": [\(want)]}", "\(c["text"]!)")
        }
        // tokens are shown as the vocabulary spells them: Ġ marks a leading space
        let shown = try Binary.run(["tokenize", "--model", dir.path, "a film"])
        #expect(shown.status == 0 && shown.stdout.contains("Ġ"), "\(shown.stdout) \(shown.stderr)")
        let predict = try Binary.run(["predict", "--model", dir.path, "--json", "a fine film", "dull"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.split(separator: "\n").count == 2)
    }

    @Test func aFolderWithoutAnyTokenizerIsRefusedNamingTheChoices() throws {
        let root = TempFolder.url("tokjson")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = try TinyClassifierFolder.make(root, "none")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("vocab.txt"))
        let out = try Binary.run(["predict", "--model", dir.path, "x"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("tokenizer.json, vocab.txt, or vocab.json with merges.txt"), "\(out.stderr)")
    }
}
