import Foundation
import Testing
import TestSupport

/// `finemix data --export`: the split written as files another framework can read, and a victim's
/// recorded split exported exactly as its attack drew it.
@Suite struct DataExportTests {
    static func temporary() throws -> URL {
        let dir = TempFolder.url("export")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    @Test func aVictimsRecordedSplitIsTheSplitItsAttackDrew() async throws {
        let victim = try await DefendTests.SmallVictim.shared.folder()
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fromVictim = dir.appendingPathComponent("victim-split"), fromData = dir.appendingPathComponent("data-split")
        let a = try Binary.run(["data", "--victim", victim.path, "--export", fromVictim.path])
        #expect(a.status == 0, "\(a.stderr)")
        // The same settings DefendTests' attack used, given by hand.
        let b = try Binary.run(["data", "rt", "--seed", "3", "--train-size", "96", "--clean-size", "40", "--test-size", "60",
                                "--trigger", "word:cf,mn,bb,tq,mb", "--poison-rate", "0.2", "--export", fromData.path])
        #expect(b.status == 0, "\(b.stderr)")
        for name in ["train", "poisoned-train", "clean-pool", "test", "asr-test"] {
            let x = try Self.read(fromVictim.appendingPathComponent("\(name).tsv"))
            #expect(x == (try Self.read(fromData.appendingPathComponent("\(name).tsv"))), "\(name).tsv differs")
        }
        let test = try Self.read(fromVictim.appendingPathComponent("test.tsv")).split(separator: "\n")
        #expect(test.first == "text\tlabel")
        #expect(test.count == 61)
        let poisoned = try Self.read(fromVictim.appendingPathComponent("poisoned-train.tsv"))
        let clean = try Self.read(fromVictim.appendingPathComponent("train.tsv"))
        #expect(poisoned != clean, "the poisoned training set carries the trigger")
        let words = ["cf", "mn", "bb", "tq", "mb"]
        let triggered = poisoned.split(separator: "\n").filter { line in
            line.split(separator: "\t").first.map { $0.split(separator: " ").contains { words.contains(String($0)) } } ?? false
        }
        #expect(triggered.count >= 19, "round(0.2 × 96) poisoned sentences, found \(triggered.count)")
        let about = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fromVictim.appendingPathComponent("split.json"))) as? [String: Any])
        #expect((about["poison"] as? [String: Any])?["target"] as? Int == 1)
        #expect((about["files"] as? [String: Any])?.count == 5)

        // finemix reads an exported file back with its default columns: the same sentences.
        let back = try Binary.run(["data", fromVictim.appendingPathComponent("clean-pool.tsv").path, "--json"])
        #expect(back.status == 0, "\(back.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(back.stdout.utf8)) as? [String: Any])
        #expect(json["examples"] as? Int == 40)

        // The folder is one finemix wrote: a second export needs --force, and replaces it.
        let again = try Binary.run(["data", "--victim", victim.path, "--export", fromVictim.path])
        #expect(again.status == 1 && again.stderr.contains("--force"), "\(again.stderr)")
        let forced = try Binary.run(["data", "--victim", victim.path, "--export", fromVictim.path, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
    }

    @Test func tsvRefusesASentenceItCannotCarryAndJSONLKeepsIt() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = dir.appendingPathComponent("tabs.jsonl")
        try Data("{\"text\":\"one\\ttab\",\"label\":0}\n{\"text\":\"plain\",\"label\":1}\n".utf8).write(to: src)
        let tsv = try Binary.run(["data", src.path, "--export", dir.appendingPathComponent("out").path])
        #expect(tsv.status == 1)
        #expect(tsv.stderr.contains("all, example 1: the sentence holds a tab"), "\(tsv.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path), "nothing written")
        let jsonl = try Binary.run(["data", src.path, "--export", dir.appendingPathComponent("out").path, "--export-format", "jsonl"])
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        let back = try Self.read(dir.appendingPathComponent("out/all.jsonl"))
        #expect(back.contains("one\\ttab"))
    }

    @Test func anExportNeverReplacesAFolderFinemixDidNotWrite() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("mine".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        let out = try Binary.run(["data", "rt", "--test-size", "10", "--export", dir.path, "--force"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("holds files finemix did not write (notes.txt)"), "\(out.stderr)")
        #expect(try Self.read(dir.appendingPathComponent("notes.txt")) == "mine")
    }
}
