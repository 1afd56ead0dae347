import Foundation
import Testing
import TestSupport

/// `finemix data` as a user runs it: the built-in rt sentences, a split, a poisoned set, and
/// bad files that must end in one clear line naming the file and the line.
@Suite struct DataCommandTests {
    @Test func rtSplitAndPoisonSummary() throws {
        let out = try Binary.run(["data", "rt", "--seed", "1", "--train-size", "3000", "--clean-size", "200",
                                  "--test-size", "1000", "--trigger", "word:cf,mn,bb,tq,mb", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(json["examples"] as? Int == 10_070)
        #expect(json["poisoned"] as? Int == 300)
        let asr = try #require(json["asrTest"] as? Int)
        #expect(asr > 450 && asr < 550)
        let again = try Binary.run(["data", "rt", "--seed", "1", "--train-size", "3000", "--clean-size", "200",
                                    "--test-size", "1000", "--trigger", "word", "--json"])
        #expect(again.stdout == out.stdout, "same seed, same numbers")
    }

    @Test func badFilesAreOneLineNamingFileAndLine() throws {
        let dir = TempFolder.url("e2e-data")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let url = dir.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
        let cases: [(path: String, args: [String], expected: String)] = [
            (try file("missing.csv", Array("sentence,label\na,1\nb,0\n".utf8)), [], "line 1: no text column named 'text'"),
            (try file("unknown.csv", Array("text,label\na,pos\nb,meh\n".utf8)), ["--labels", "neg=0,pos=1"], "line 3: unknown label 'meh'"),
            (try file("empty.tsv", []), [], "line 1: the file is empty"),
            (try file("utf8.tsv", Array("text\tlabel\na\t1\n".utf8) + [0xC3, 0x28, 0x09, 0x30, 0x0A]), [], "line 3: invalid UTF-8"),
            (try file("single.jsonl", Array("{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\",\"label\":1}\n".utf8)), [], "lines 1–2: all 2 examples have the label '1'"),
            (try file("strict.tsv", Array("text\tlabel\na\t1\nno label here\nb\t0\n".utf8)), ["--strict"], "line 3: has 1 field"),
        ]
        for c in cases {
            let out = try Binary.run(["data", c.path] + c.args)
            #expect(out.status == 1, "\(c.path)")
            #expect(out.stderr.contains("\(c.path): \(c.expected)"), "\(out.stderr)")
            #expect(out.stderr.split(separator: "\n").count == 1, "\(out.stderr)")
        }
        // without --strict the bad row is skipped and reported with its line
        let skipped = try Binary.run(["data", cases[5].path])
        #expect(skipped.status == 0)
        #expect(skipped.stderr.contains("1 bad row skipped"))
        #expect(skipped.stderr.contains("\(cases[5].path): line 3: has 1 field"))
        #expect(skipped.stdout.contains("2 examples"))
    }
}
