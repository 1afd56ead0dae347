import Foundation
import Testing
@testable import Defense
import TestSupport

@Suite struct JournalTests {
    @Test func entriesSurviveReopening() throws {
        let dir = TempFolder.url("journal")
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
        let dir = TempFolder.url("journal")
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
        let dir = TempFolder.url("journal")
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
        let dir = TempFolder.url("journal")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("journal.jsonl")
        try Data((Self.line + Self.line.dropLast()).utf8).write(to: url)
        let j = try Journal(url: url)
        #expect(j.entries.count == 2 && !j.droppedTornLine)
    }
}

/// Issue 16: an append writes one line (no rewrite of the file), so long sessions stay fast.
@Suite struct JournalAppendTests {
    @Test func aThousandAppendsAreAThousandWholeLinesInOrder() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("s/journal.jsonl")
        let j = try Journal(url: url)
        // Each append is synced to disk: a thousand is as telling as ten thousand at a tenth of the time.
        let n = 1_000
        for i in 0..<n {
            try j.append(JournalEntry(time: Date(timeIntervalSince1970: Double(i)), command: "mix 0.\(i % 10) seed=\(i)", ok: i % 7 != 0,
                                      results: ["i": Double(i)]))
        }
        let bytes = try Data(contentsOf: url)
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(bytes.split(separator: UInt8(ascii: "\n")).count == n)
        let again = try Journal(url: url)
        #expect(again.entries.count == n && !again.droppedTornLine)
        #expect(again.entries.map { $0.results["i"]! } == (0..<n).map(Double.init))
        #expect(again.entries == j.entries)
    }

    /// The file is appended to in place: the same inode, the earlier bytes untouched (the old
    /// journal rewrote the whole file through a temporary and a rename on every command).
    @Test func anAppendWritesOneLineInPlace() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("journal.jsonl")
        let j = try Journal(url: url)
        try j.append(JournalEntry(time: Date(timeIntervalSince1970: 0), command: "eval", ok: true))
        let before = try Data(contentsOf: url)
        let inode = try FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? Int
        try j.append(JournalEntry(time: Date(timeIntervalSince1970: 1), command: "undo", ok: true))
        let after = try Data(contentsOf: url)
        #expect(try FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? Int == inode)
        #expect(after.prefix(before.count) == before && after.count > before.count)
        #expect(after.dropFirst(before.count).filter { $0 == UInt8(ascii: "\n") }.count == 1)
    }

    /// A journal reopened after a crash: the torn tail is cut off before the next line, and a
    /// whole last entry that lacks its newline gets one, so every line stays a whole entry.
    @Test func theNextAppendHealsATornOrUnterminatedTail() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("journal.jsonl")
        let line = JournalTornLineTests.line
        for (start, kept) in [(line + String(line.prefix(30)), 1), (String(line.dropLast()), 1), (line + "\n" + line + "{", 2)] {
            try Data(start.utf8).write(to: url)
            let j = try Journal(url: url)
            try j.append(JournalEntry(time: Date(timeIntervalSince1970: 0), command: "undo", ok: true))
            try j.append(JournalEntry(time: Date(timeIntervalSince1970: 0), command: "eval", ok: true))
            let text = try String(contentsOf: url, encoding: .utf8)
            let again = try Journal(url: url)
            #expect(again.entries.map(\.command) == Array(repeating: "eval", count: kept) + ["undo", "eval"], "\(start.debugDescription)")
            #expect(!again.droppedTornLine && text.hasSuffix("}\n"))
        }
    }

    /// A replay's lines are written without an fsync each (they are safe in the journal being
    /// resumed) and made durable together: the file is the same whole lines either way.
    @Test func appendsWithoutEachFsyncAreTheSameLines() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("journal.jsonl")
        let j = try Journal(url: url)
        try j.syncEachAppend(false)
        for i in 0..<100 { try j.append(JournalEntry(time: Date(timeIntervalSince1970: Double(i)), command: "trigger word:cf", ok: true)) }
        #expect(try Journal(url: url).entries.count == 100)
        try j.syncEachAppend(true)
        try j.append(JournalEntry(time: Date(timeIntervalSince1970: 100), command: "eval", ok: true))
        let again = try Journal(url: url)
        #expect(again.entries == j.entries && again.entries.count == 101)
    }

    /// Entries written before inputs were fingerprinted still load; new ones carry them.
    @Test func inputsAreAnOptionalField() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("journal.jsonl")
        try Data(JournalTornLineTests.line.utf8).write(to: url)
        let j = try Journal(url: url)
        #expect(j.entries.first?.inputs == nil)
        let f = InputFingerprint(path: "/m/model.safetensors", size: 12, mtime: 1.5, xxh64: "00000000000000ff")
        try j.append(JournalEntry(time: Date(timeIntervalSince1970: 0), command: "load pre /m", ok: true, inputs: [f]))
        #expect(try Journal(url: url).entries.last?.inputs == [f])
    }
}
