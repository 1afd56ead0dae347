import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Every file finemix writes goes through here: written to a temporary name in the same folder,
/// fsync'd, then renamed over the target, so a crash leaves either the old file or the new one.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { fd in
            try data.withUnsafeBytes { raw in try writeAll(fd, raw, path: url.path) }
        }
    }

    /// Streams content into the temporary file through `body`, which receives the descriptor.
    public static func write(to url: URL, _ body: (Int32) throws -> Void) throws {
        let dir = url.deletingLastPathComponent()
        try createFolder(dir)
        // Renaming over a device, a FIFO or a folder would replace something finemix did not write.
        var st = stat()
        if stat(url.path, &st) == 0, OutputFolder.type(st.st_mode) != mode_t(S_IFREG) {
            throw FinemixError("\(url.path) exists and is \(OutputFolder.kind(st.st_mode)), not a file; finemix replaces only files")
        }
        removeStaleTemporaries(of: url)
        let tmp = temporaryName(for: url)
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FinemixError.fileSystem(errno: errno, path: url.path, action: "create a temporary file beside it") }
        var ok = false
        defer { if !ok { unlink(tmp.path) } }
        do {
            try body(fd)
            guard fsync(fd) == 0 else { throw FinemixError.fileSystem(errno: errno, path: url.path, action: "flush the file to disk") }
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(tmp.path, url.path) == 0 else {
            throw FinemixError.fileSystem(errno: errno, path: url.path, action: "rename the temporary file into place")
        }
        ok = true
        // The rename itself must reach the disk for the new name to survive a power cut.
        let dfd = open(dir.path, O_RDONLY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// `mkdir -p` with errno kept: Foundation's createDirectory reports a file in the way as
    /// "Cocoa error 512" with no reason, so finemix creates folders itself.
    public static func createFolder(_ dir: URL) throws {
        let path = dir.standardizedFileURL.path
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) == 0 { continue }
            let code = errno
            var st = stat()
            if code == EEXIST, stat(prefix, &st) == 0, OutputFolder.type(st.st_mode) == mode_t(S_IFDIR) { continue }
            throw FinemixError.fileSystem(errno: code == EEXIST ? ENOTDIR : code, path: path, action: "create the folder")
        }
    }

    public static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FinemixError.fileSystem(errno: errno, path: path, action: "write")
            }
            offset += n
        }
    }

    /// `.NAME.PID.RAND.tmp` beside `url`: hidden, and known to `removeStaleTemporaries`.
    static func temporaryName(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
    }

    /// A process killed mid-write (SIGKILL, power cut) leaves its `.NAME.PID.RAND.tmp` behind.
    /// Loaders never look at these names; the next write of NAME removes those whose writer is
    /// gone, so they do not pile up. A live writer's file (another finemix) is left alone. The same
    /// names serve OutputFolder's temporary folders, removed here whole.
    static func removeStaleTemporaries(of url: URL) {
        let dir = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(4).split(separator: ".")
            guard middle.count == 2, let pid = Int32(middle[0]), UInt32(middle[1]) != nil else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
            }
        }
    }
}
