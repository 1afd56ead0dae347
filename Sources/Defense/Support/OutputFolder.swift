import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder finemix writes whole: a checkpoint (`attack`, `defend`, `mix`, `epur`, `synth --out`,
/// the workbench's `save`).
///
/// The rule for what may be replaced: a folder finemix wrote carries a marker file `.finemix`
/// naming the command that wrote it. finemix writes into a path that does not exist or is an empty
/// folder; it replaces an existing folder only when that folder carries the marker (and, for the
/// CLI, only with `--force`). Anything else — a folder of notes, a model from elsewhere, a file, a
/// device — is refused with a sentence naming what is there. It never replaces `/`, the current
/// or the home folder, nor a folder holding one of the command's inputs, the workspace or the
/// resource cache (compared as resolved real paths, so symlinks and `..` do not get around it).
///
/// Writing is atomic: the new folder is written under a hidden temporary name beside the target
/// (`.NAME.PID.RAND.tmp`, the name AtomicFile's stale-temporary cleanup knows), then swapped in
/// with one `renameat2(RENAME_EXCHANGE)` (two renames where the file system lacks it), and the old
/// folder is removed last. A crash leaves the old folder or the new one, never a mixture.
public struct OutputFolder {
    public static let markerName = ".finemix"

    /// The folder as named (absolute, `..` folded).
    public let url: URL
    let command: String
    let force: Bool
    /// What the user passes to allow a replace, for the refusal ("--force"); nil: replacing a
    /// folder finemix wrote needs no flag (the workbench's `save`).
    let forceFlag: String?
    let protected: [(what: String, url: URL)]

    /// `inputs`: what the command reads from, each with a short name for the refusal ("the
    /// victim"). The current, home and root folders are always protected.
    public init(path: String, command: String, force: Bool, forceFlag: String? = "--force",
                inputs: [(what: String, url: URL)]) throws {
        guard !path.isEmpty else { throw FinemixError("\(command): the folder name is empty; name a folder to write") }
        url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath, isDirectory: true).standardizedFileURL
        self.command = command
        self.force = force
        self.forceFlag = forceFlag
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        protected = [(what: "the root folder", url: URL(fileURLWithPath: "/")), (what: "the current folder", url: cwd),
                     (what: "the home folder", url: URL(fileURLWithPath: NSHomeDirectory(), isDirectory: true))] + inputs
        try check()
    }

    /// Refuses, before any work, what `write` would refuse.
    public func check() throws {
        let real = Self.resolved(url)
        for p in protected {
            let r = Self.resolved(p.url)
            if r == real || real == "/" || r.hasPrefix(real + "/") {
                let which = r == real ? "is" : "holds"
                throw FinemixError("\(url.path) \(which) \(p.what) (\(p.url.standardizedFileURL.path)); finemix never replaces the root, current or home folder, nor a folder holding its inputs, the workspace or the cache")
            }
        }
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            if errno == ENOENT { return }
            throw FinemixError.fileSystem(errno: errno, path: url.path, action: "write the folder")
        }
        guard Self.type(st.st_mode) == mode_t(S_IFDIR) else {
            throw FinemixError("\(url.path) is \(Self.kind(st.st_mode)), not a folder; \(command) writes a folder and replaces nothing else")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() } catch {
            throw FinemixError.fileSystem(error, path: url.path, action: "list the folder")
        }
        if names.isEmpty { return }
        let shown = names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", … (\(names.count) entries)" : "")
        let marked = Self.isMarked(url)
        let replaces = forceFlag.map { "\($0) replaces" } ?? "\(command) replaces"
        if !marked {
            throw FinemixError("\(url.path) holds files finemix did not write (\(shown)); \(replaces) only a folder finemix wrote, so choose a new or empty folder")
        }
        if !force, let flag = forceFlag {
            throw FinemixError("\(url.path) already holds a folder finemix wrote (\(shown)); pass \(flag) to replace its contents")
        }
    }

    /// Checks again, lets `body` fill a fresh temporary folder beside the target, marks it and
    /// swaps it in. Nothing of the target changes if `body` or the swap fails.
    public func write(_ body: (URL) throws -> Void) throws {
        try check()
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        try AtomicFile.createFolder(parent)
        AtomicFile.removeStaleTemporaries(of: url)
        let tmp = AtomicFile.temporaryName(for: url)
        guard mkdir(tmp.path, 0o755) == 0 else {
            throw FinemixError.fileSystem(errno: errno, path: url.path, action: "create a temporary folder beside it")
        }
        var tmpHolds = true
        defer { if tmpHolds { try? fm.removeItem(at: tmp) } }
        try body(tmp)
        try AtomicFile.write(Data("finemix \(command)\n".utf8), to: tmp.appendingPathComponent(Self.markerName))
        if access(url.path, F_OK) != 0 {
            guard rename(tmp.path, url.path) == 0 else {
                throw FinemixError.fileSystem(errno: errno, path: url.path, action: "move the new folder into place")
            }
            tmpHolds = false
        } else if Self.exchange(tmp.path, url.path) {
            // `tmp` now holds the old folder, removed by the defer.
        } else {
            let old = AtomicFile.temporaryName(for: url)
            guard rename(url.path, old.path) == 0 else {
                throw FinemixError.fileSystem(errno: errno, path: url.path, action: "move the old folder aside")
            }
            guard rename(tmp.path, url.path) == 0 else {
                let code = errno
                _ = rename(old.path, url.path)
                throw FinemixError.fileSystem(errno: code, path: url.path, action: "move the new folder into place")
            }
            tmpHolds = false
            try? fm.removeItem(at: old)
        }
        let dfd = open(parent.path, O_RDONLY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    public static func isMarked(_ dir: URL) -> Bool {
        var st = stat()
        return lstat(dir.appendingPathComponent(markerName).path, &st) == 0 && type(st.st_mode) == mode_t(S_IFREG)
    }

    /// Linux's atomic swap of two names; false where the kernel or file system lacks it.
    static func exchange(_ a: String, _ b: String) -> Bool {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let sym = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(sym, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }

    /// The real path of `url`: its longest existing prefix resolved (symlinks, `..`), the rest appended.
    static func resolved(_ url: URL) -> String {
        var head = url.standardizedFileURL.path
        var tail: [String] = []
        while true {
            if let r = realpath(head, nil) {
                defer { free(r) }
                let base = String(cString: r)
                let joined = ([base == "/" ? "" : base] + tail.reversed()).joined(separator: "/")
                return joined.isEmpty ? "/" : joined
            }
            if head == "/" || head.isEmpty { return url.standardizedFileURL.path }
            tail.append((head as NSString).lastPathComponent)
            head = (head as NSString).deletingLastPathComponent
        }
    }

    /// The file-type bits of a `st_mode`.
    static func type(_ mode: mode_t) -> mode_t { mode & mode_t(S_IFMT) }

    /// What a non-folder is, for messages: "a file", "a device", ...
    static func kind(_ mode: mode_t) -> String {
        switch type(mode) {
        case mode_t(S_IFREG): return "a file"
        case mode_t(S_IFDIR): return "a folder"
        case mode_t(S_IFCHR), mode_t(S_IFBLK): return "a device"
        case mode_t(S_IFIFO): return "a FIFO"
        case mode_t(S_IFSOCK): return "a socket"
        default: return "a special file"
        }
    }
}
