import Foundation

/// How much memory finemix may plan to allocate now, so that a batch too large for the machine
/// is refused (training) or split (inference) up front instead of aborting in the allocator.
///
/// The least of: MemAvailable in /proc/meminfo, the cgroup's limit less its usage (v2
/// memory.max/memory.current, or v1 memory.limit_in_bytes/memory.usage_in_bytes), and
/// FINEMIX_MEMORY_LIMIT (bytes, or with a K/M/G suffix) for sharing a machine and for tests.
public struct MemoryBudget: Sendable {
    public let bytes: Int
    /// Where the figure comes from, for the message: "MemAvailable in /proc/meminfo".
    public let source: String

    public init(bytes: Int, source: String) { self.bytes = bytes; self.source = source }

    public static func current() -> MemoryBudget {
        var best = MemoryBudget(bytes: Int.max, source: "no limit known")
        func consider(_ b: Int?, _ source: String) {
            if let b, b >= 0, b < best.bytes { best = MemoryBudget(bytes: b, source: source) }
        }
        consider(memAvailable(), "MemAvailable in /proc/meminfo")
        for (limit, usage) in [("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                               ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")] {
            if let l = number(in: limit), let u = number(in: usage) { consider(max(0, l - u), "the cgroup limit in \(limit)") }
        }
        if let text = ProcessInfo.processInfo.environment["FINEMIX_MEMORY_LIMIT"], let b = parse(text) {
            consider(b, "FINEMIX_MEMORY_LIMIT")
        }
        return best
    }

    /// "2G", "512M", "1048576".
    static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let scale: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = t.last, let s = scale[last], let n = Int(t.dropLast()), n >= 0 { return n.multipliedReportingOverflow(by: s).overflow ? nil : n * s }
        return Int(t).flatMap { $0 >= 0 ? $0 : nil }
    }

    private static func memAvailable() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }

    /// A file holding one integer ("max" and unreadable files give nil).
    private static func number(in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    public static func describe(_ bytes: Int) -> String {
        let b = Double(bytes)
        if b >= 1e9 { return String(format: "%.1f GB", b / 1e9) }
        if b >= 1e6 { return String(format: "%.1f MB", b / 1e6) }
        return String(format: "%.1f kB", b / 1e3)
    }
}
