import Foundation

/// The session's record: every command with its outcome, one JSON object per line in
/// `journal.jsonl`. Replaying the commands of a journal rebuilds the session (`Session.resumable`).
/// Each append rewrites the file through AtomicFile, so a crash leaves the journal as it was
/// before or after the entry; a torn last line (a journal copied mid-write, a full disk under an
/// older writer) is still read, without that line.
public struct JournalEntry: Codable, Equatable, Sendable {
    public var time: Date
    public var command: String
    public var ok: Bool
    public var message: String
    /// Numbers the command produced (acc, asr, seconds, ...), for reports.
    public var results: [String: Double]

    public init(time: Date = Date(), command: String, ok: Bool, message: String = "", results: [String: Double] = [:]) {
        self.time = time; self.command = command; self.ok = ok; self.message = message; self.results = results
    }
}

public final class Journal: @unchecked Sendable {
    public let url: URL
    public private(set) var entries: [JournalEntry]
    private let lock = NSLock()

    /// True when the file ended in a torn line (a write cut short: no newline and not a whole
    /// entry). That line is dropped; the next append rewrites the file without it.
    public private(set) var droppedTornLine = false

    /// Opens (or starts) the journal at `url`. A bad line in the middle is an error naming it (it
    /// is the user's history: never silently dropped); a torn last line is dropped and flagged.
    public init(url: URL) throws {
        self.url = url
        entries = []
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let data = try Data(contentsOf: url)
        let decoder = Journal.decoder
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsClean = data.last == UInt8(ascii: "\n")
        for (i, line) in lines.enumerated() where !line.isEmpty {
            do { entries.append(try decoder.decode(JournalEntry.self, from: Data(line))) }
            catch {
                if i == lines.count - 1 && !endsClean { droppedTornLine = true; break }
                throw FinemixError("\(url.path):\(i + 1): not a journal entry (\(error.localizedDescription))")
            }
        }
    }

    public func append(_ entry: JournalEntry) throws {
        lock.lock(); defer { lock.unlock() }
        entries.append(entry)
        var out = Data()
        let encoder = Journal.encoder
        for e in entries {
            out.append(try encoder.encode(e))
            out.append(UInt8(ascii: "\n"))
        }
        try AtomicFile.write(out, to: url)
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
