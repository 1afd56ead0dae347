import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The session's record: every command with its outcome, one JSON object per line in
/// `journal.jsonl`. Replaying the commands of a journal rebuilds the session (`Session.resumable`).
/// Each append writes one line through O_APPEND and one fsync, so a long session costs the same
/// per command as a short one. A crash mid-append leaves a torn last line: reading drops it, and
/// the next append cuts it off before writing, so the file heals.
public struct JournalEntry: Codable, Equatable, Sendable {
    public var time: Date
    public var command: String
    public var ok: Bool
    public var message: String
    /// Numbers the command produced (acc, asr, seconds, ...), for reports.
    public var results: [String: Double]
    /// The files the command read (model folders, a data file, a corpus), as they were then:
    /// `--resume` refuses to replay when one of them has other content now. Absent in journals
    /// written before fingerprints were recorded.
    public var inputs: [InputFingerprint]?

    public init(time: Date = Date(), command: String, ok: Bool, message: String = "", results: [String: Double] = [:],
                inputs: [InputFingerprint]? = nil) {
        self.time = time; self.command = command; self.ok = ok; self.message = message; self.results = results
        self.inputs = inputs
    }
}

public final class Journal: @unchecked Sendable {
    public let url: URL
    public private(set) var entries: [JournalEntry]
    private let lock = NSLock()
    private let encoder = Journal.encoder

    /// True when the file ended in a torn line (a write cut short: no newline and not a whole
    /// entry). That line is dropped; the next append cuts it off the file.
    public private(set) var droppedTornLine = false

    /// Bytes of the file that hold whole entries: where the next line goes.
    private var end: Int = 0
    /// The last whole entry has no newline after it (an older writer, a hand edit).
    private var needsNewline = false
    /// Open for appending after the first append.
    private var fd: Int32 = -1
    /// False while a resume replays: those commands are already safe in the journal being
    /// resumed, so their lines are written without an fsync each, and `sync()` makes them
    /// durable once the replay is over (10,000 fsyncs were most of a long resume's time).
    private var syncEach = true

    /// Opens (or starts) the journal at `url`. A bad line in the middle is an error naming it (it
    /// is the user's history: never silently dropped); a torn last line is dropped and flagged.
    public init(url: URL) throws {
        self.url = url
        entries = []
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError("\(url.path): cannot read the journal (\(FileManager.default.isReadableFile(atPath: url.path) ? "not a file" : "unreadable"))")
        }
        let decoder = Journal.decoder
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var offset = 0
        for (i, line) in lines.enumerated() {
            let last = i == lines.count - 1
            let start = offset
            offset += line.count + 1
            if line.isEmpty { if !last { end = offset }; continue }
            do { entries.append(try decoder.decode(JournalEntry.self, from: Data(line))) }
            catch {
                // Only the last piece can lack its newline: a write cut short.
                if last { droppedTornLine = true; end = start; break }
                throw FinemixError("\(url.path):\(i + 1): not a journal entry (\(error.localizedDescription))")
            }
            end = last ? start + line.count : offset
            needsNewline = last
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Writes the entry as one line and fsyncs it. A failed write is cut off again, so the
    /// file still ends after the last whole entry.
    public func append(_ entry: JournalEntry) throws {
        lock.lock(); defer { lock.unlock() }
        var line = Data()
        if needsNewline { line.append(UInt8(ascii: "\n")) }
        line.append(try encoder.encode(entry))
        line.append(UInt8(ascii: "\n"))
        let fd = try openForAppend()
        do {
            try line.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: url.path) }
            if syncEach { try syncDescriptor(fd) }
        } catch {
            _ = ftruncate(fd, off_t(end))
            throw error
        }
        end += line.count
        needsNewline = false
        entries.append(entry)
    }

    /// Appends stop (false) or go back to (true) fsyncing each line; going back fsyncs what
    /// was written meanwhile.
    public func syncEachAppend(_ on: Bool) throws {
        lock.lock(); defer { lock.unlock() }
        if on && !syncEach && fd >= 0 { try syncDescriptor(fd) }
        syncEach = on
    }

    private func syncDescriptor(_ fd: Int32) throws {
        guard fsync(fd) == 0 else { throw FinemixError.fileSystem(errno: errno, path: url.path, action: "flush the journal to disk") }
    }

    private func openForAppend() throws -> Int32 {
        if fd >= 0 {
            // The open descriptor would keep writing into a journal that was removed, or whose
            // folder was replaced, and the lines would be lost unseen: one stat per append checks
            // that the name still leads to the file this journal writes.
            var held = stat(), named = stat()
            guard stat(url.path, &named) == 0 else {
                throw FinemixError.fileSystem(errno: errno, path: url.path, action: "append to the journal")
            }
            guard fstat(fd, &held) == 0, held.st_dev == named.st_dev, held.st_ino == named.st_ino else {
                throw FinemixError("\(url.path): cannot append to the journal: another file took its name while the session ran")
            }
            return fd
        }
        let dir = url.deletingLastPathComponent()
        let existed = FileManager.default.fileExists(atPath: url.path)
        if !existed {
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw FinemixError.fileSystem(error, path: dir.path, action: "create the session's folder for its journal")
            }
        }
        let opened = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw FinemixError.fileSystem(errno: errno, path: url.path, action: "open the journal for writing") }
        // Whatever follows the last whole entry is a torn line (or a line an append gave up on).
        var st = stat()
        if fstat(opened, &st) == 0, Int(st.st_size) > end {
            guard ftruncate(opened, off_t(end)) == 0 else {
                let code = errno
                close(opened)
                throw FinemixError.fileSystem(errno: code, path: url.path, action: "cut off the journal's torn last line")
            }
        }
        if !existed {
            // The new name must reach the disk for the file to survive a power cut.
            let dfd = open(dir.path, O_RDONLY)
            if dfd >= 0 { _ = fsync(dfd); close(dfd) }
        }
        fd = opened
        return opened
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
