import Foundation
import Testing
@testable import Defense

/// Issue 16: the journal fingerprints what a command loaded; `--resume` refuses other content
/// and warns about a time stamp alone.
@Suite struct InputFingerprintTests {
    /// The reference implementation's values (python-xxhash 3.x, seed 0).
    @Test func contentHashIsXXH64() {
        #expect(ContentHash.of([]) == 0xEF46_DB37_51D8_E999)
        #expect(ContentHash.of(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(ContentHash.of(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(ContentHash.of(Array("0123456789abcdef0123456789abcdef".utf8)) == 0x642A_9495_8E71_E6C5)
        let long = Array((0..<3).flatMap { _ in (0...255).map(UInt8.init) }) + Array("xyz1234567".utf8)
        #expect(ContentHash.of(long) == 0x087F_B802_2D79_A76B)
        // Fed in pieces of every size, the same hash.
        for piece in [1, 3, 7, 31, 32, 33, 100] {
            var h = ContentHash()
            var i = 0
            while i < long.count {
                let part = Array(long[i..<min(long.count, i + piece)])
                part.withUnsafeBytes { h.update($0) }
                i += piece
            }
            #expect(h.finish() == 0x087F_B802_2D79_A76B, "pieces of \(piece)")
        }
    }

    @Test func aFileIsHashedByItsBytes() throws {
        let dir = TempDir()
        var r = SeededRandom(seed: 16, stream: "fingerprint")
        let bytes = (0..<(3 << 20) + 5).map { _ in UInt8(truncatingIfNeeded: r.next()) }
        let url = try dir.file("big.bin", Data(bytes))
        let (hash, size) = try ContentHash.ofFile(url)
        #expect(hash == ContentHash.of(bytes) && size == bytes.count)
    }

    @Test func changesAreNamedAndOnlyContentRefuses() throws {
        let dir = TempDir()
        let url = try dir.file("model.safetensors", Data(repeating: 7, count: 20_000))
        let f = try InputFingerprint.of(url)
        #expect(f.change() == nil)
        // The time stamp alone: a warning.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: url.path)
        let touched = try #require(f.change())
        #expect(!touched.refuse && touched.message == "\(url.path) was modified since the session loaded it (its time stamp changed) but its content is the same")
        // Same size, other bytes.
        try Data(repeating: 8, count: 20_000).write(to: url)
        let other = try #require(f.change())
        #expect(other.refuse && other.message.hasPrefix("\(url.path) changed since the session loaded it (same size, other content: XXH64 \(f.xxh64) → "))
        // Cut short.
        try Data(repeating: 7, count: 19_000).write(to: url)
        #expect(f.change()?.message == "\(url.path) changed since the session loaded it (size 20.0 KB → 19.0 KB)")
        try Data(repeating: 7, count: 20_001).write(to: url)
        #expect(f.change()?.message == "\(url.path) changed since the session loaded it (size 20000 bytes → 20001 bytes)")
        try FileManager.default.removeItem(at: url)
        let gone = try #require(f.change())
        #expect(gone.refuse && gone.message == "\(url.path) is gone since the session loaded it")
    }

    /// `checkInputs` looks at the commands a resume replays: a changed input refuses, naming it;
    /// a failed command's inputs, and journals without fingerprints, do not matter.
    @Test func resumeChecksTheReplayedCommandsInputs() throws {
        let dir = TempDir()
        let model = try dir.file("model.safetensors", Data(repeating: 1, count: 64))
        let corpus = try dir.file("corpus.txt", Data("a b c\n".utf8))
        let journal = try Journal(url: dir.url.appendingPathComponent("journal.jsonl"))
        try journal.append(JournalEntry(command: "load victim /m", ok: true, inputs: [try .of(model)]))
        try journal.append(JournalEntry(command: "epur corpus=/c", ok: false, inputs: [try .of(corpus)]))
        try journal.append(JournalEntry(command: "eval", ok: true))
        #expect(try Session.checkInputs(of: journal).isEmpty)
        try Data("other\n".utf8).write(to: corpus)
        #expect(try Session.checkInputs(of: journal).isEmpty)
        try Data(repeating: 2, count: 60).write(to: model)
        #expect(throws: FinemixError("\(journal.url.path): cannot resume: \(model.path) changed since the session loaded it (size 64 bytes → 60 bytes); replaying would not rebuild the same session (put the files back, or start a new session)")) {
            try Session.checkInputs(of: journal)
        }
    }
}
