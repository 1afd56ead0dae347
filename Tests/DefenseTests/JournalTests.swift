import Foundation
import Testing
@testable import Defense

@Suite struct JournalTests {
    @Test func entriesSurviveReopening() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fm-journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("journal.jsonl")
        let j = try Journal(url: url)
        try j.append(JournalEntry(time: Date(timeIntervalSince1970: 1_000), command: "mix 0.3 seed=7", ok: true, results: ["acc": 0.91]))
        try j.append(JournalEntry(time: Date(timeIntervalSince1970: 2_000), command: "epur top=900000", ok: false, message: "epur: top exceeds the vocabulary"))
        let again = try Journal(url: url)
        #expect(again.entries == j.entries)
        #expect(again.entries.map(\.command) == ["mix 0.3 seed=7", "epur top=900000"])
    }

    @Test func aCorruptLineIsNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fm-journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("journal.jsonl")
        try Data("{\"time\":\"2026-01-01T00:00:00Z\",\"command\":\"eval\",\"ok\":true,\"message\":\"\",\"results\":{}}\n{oops\n".utf8).write(to: url)
        #expect(throws: FinemixError.self) { try Journal(url: url) }
        do { _ = try Journal(url: url) } catch let e as FinemixError { #expect(e.message.hasPrefix("\(url.path):2: ")) }
    }

    @Test func cancellationFlagStopsLoops() throws {
        let flag = CancellationFlag()
        try flag.check()
        flag.cancel()
        #expect(flag.isCancelled)
        #expect(throws: FinemixError.cancelled) { try flag.check() }
    }
}

@Suite struct JournalTornLineTests {
    static let line = "{\"command\":\"eval\",\"message\":\"\",\"ok\":true,\"results\":{\"acc\":0.5},\"time\":\"2026-01-01T00:00:00Z\"}\n"

    @Test func aTornLastLineIsDroppedAndTheNextAppendHeals() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fm-journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("journal.jsonl")
        // Every cut of the second line (killed mid-append) reads as the first entry alone.
        let whole = Self.line + Self.line.replacingOccurrences(of: "eval", with: "mix 0.3")
        let firstEnd = Self.line.utf8.count
        for cut in (firstEnd + 1)..<(whole.utf8.count - 1) {
            try Data(Array(whole.utf8).prefix(cut)).write(to: url)
            let j = try Journal(url: url)
            #expect(j.entries.map(\.command) == ["eval"], "cut at byte \(cut)")
            #expect(j.droppedTornLine, "cut at byte \(cut)")
        }
        let j = try Journal(url: url)
        try j.append(JournalEntry(time: Date(timeIntervalSince1970: 0), command: "undo", ok: true))
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2 && text.hasSuffix("\n"))
        let again = try Journal(url: url)
        #expect(again.entries.map(\.command) == ["eval", "undo"] && !again.droppedTornLine)
    }

    @Test func aWholeLastEntryWithoutNewlineIsKept() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fm-journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("journal.jsonl")
        try Data((Self.line + Self.line.dropLast()).utf8).write(to: url)
        let j = try Journal(url: url)
        #expect(j.entries.count == 2 && !j.droppedTornLine)
    }
}
