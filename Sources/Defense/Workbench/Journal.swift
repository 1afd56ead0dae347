import Foundation

/// The session's record: every command with its outcome, one JSON object per line in
/// `journal.jsonl`. Replaying the commands of a journal rebuilds the session. Each append
/// rewrites the file through AtomicFile, so a crash leaves the journal as it was before or after
/// the entry, never a torn line.
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

    /// Opens (or starts) the journal at `url`. Unreadable lines are reported, not fatal: the
    /// journal is the user's history and one bad line must not hide the rest.
    public init(url: URL) throws {
        self.url = url
        entries = []
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let data = try Data(contentsOf: url)
        let decoder = Journal.decoder
        for (i, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            do { entries.append(try decoder.decode(JournalEntry.self, from: Data(line))) }
            catch { throw FinemixError("\(url.path):\(i + 1): not a journal entry (\(error.localizedDescription))") }
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
