import Foundation

/// A file a command read, as it was when read: its path, size, modification time and the XXH64
/// of its bytes. The journal keeps one per input, so `--resume` can tell whether replaying
/// would read the same bytes (and so give the same variants and numbers).
public struct InputFingerprint: Codable, Equatable, Hashable, Sendable {
    public var path: String
    public var size: Int
    /// Seconds since 1970 (sub-second where the file system has it).
    public var mtime: Double
    /// XXH64 of the content, 16 hex digits.
    public var xxh64: String

    public init(path: String, size: Int, mtime: Double, xxh64: String) {
        self.path = path; self.size = size; self.mtime = mtime; self.xxh64 = xxh64
    }

    /// Fingerprints the file at `url` now.
    public static func of(_ url: URL) throws -> InputFingerprint {
        let path = url.standardizedFileURL.path
        let (hash, size) = try ContentHash.ofFile(url)
        let mtime = ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return InputFingerprint(path: path, size: size, mtime: mtime, xxh64: hex(hash))
    }

    static func hex(_ h: UInt64) -> String {
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// What resuming would meet: nil when the file is as recorded; otherwise whether it must be
    /// refused (other content, or gone) and the sentence to say.
    /// `since`: when it was fingerprinted, for the sentence ("the plan was made").
    public func change(since: String = "the session loaded it") -> (refuse: Bool, message: String)? {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else {
            return (true, "\(path) is gone since \(since)")
        }
        let now: InputFingerprint
        do { now = try .of(url) } catch let e as FinemixError { return (true, e.message) } catch {
            return (true, "\(path): cannot read it to fingerprint it")
        }
        if now.size != size {
            var (before, after) = (Self.bytes(size), Self.bytes(now.size))
            if before == after { (before, after) = ("\(size) bytes", "\(now.size) bytes") }
            return (true, "\(path) changed since \(since) (size \(before) → \(after))")
        }
        if now.xxh64 != xxh64 {
            return (true, "\(path) changed since \(since) (same size, other content: XXH64 \(xxh64) → \(now.xxh64))")
        }
        if now.mtime != mtime {
            return (false, "\(path) was modified since \(since) (its time stamp changed) but its content is the same")
        }
        return nil
    }

    /// "90.1 MB", "312 bytes": enough to see what changed.
    static func bytes(_ n: Int) -> String {
        if n < 10_000 { return "\(n) bytes" }
        let units = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")]
        let (scale, unit) = units.first { Double(n) >= $0.0 } ?? (1e3, "KB")
        return "\(String(format: "%.1f", Double(n) / scale)) \(unit)"
    }
}
