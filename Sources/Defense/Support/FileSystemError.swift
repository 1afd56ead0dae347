import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one translation of file-system failures into what a user reads: "PATH: cannot ACTION:
/// REASON", one sentence. Foundation's own text (`Error Domain=NSCocoaErrorDomain Code=…`) never
/// reaches a user: every place that prints an error (the CLI's `failing`, the session, the
/// workbench log) passes what is not already a `FinemixError` through `FinemixError.describing`.
extension FinemixError {
    /// A failed call with `errno` on `path`.
    public static func fileSystem(errno code: Int32, path: String, action: String) -> FinemixError {
        FinemixError("\(path): cannot \(action): \(FileSystemReason.text(code))")
    }

    /// A thrown Foundation (or POSIX) error from an operation on `path`.
    public static func fileSystem(_ error: Error, path: String, action: String) -> FinemixError {
        if let e = error as? FinemixError { return e }
        return FinemixError("\(path): cannot \(action): \(FileSystemReason.text(of: error, path: path))")
    }

    /// Any error as one sentence: a `FinemixError` as it is; a Foundation file error with the path
    /// it carries and the reason; anything else by its description, without Foundation's domain text.
    public static func describing(_ error: Error) -> FinemixError {
        if let e = error as? FinemixError { return e }
        let ns = error as NSError
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        if let path { return FinemixError("\(path): \(FileSystemReason.text(of: error, path: path))") }
        return FinemixError(FileSystemReason.text(of: error))
    }
}

/// Reasons in plain words, from errno or from the codes Foundation turns errno into.
public enum FileSystemReason {
    public static func text(_ code: Int32) -> String {
        switch code {
        case EACCES, EPERM: return "permission denied"
        case EROFS: return "the file system is read-only"
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "the disk quota is exhausted"
        case ENOTDIR: return "a part of the path is a file, not a folder"
        case ENAMETOOLONG: return "the name is too long"
        case ENOENT: return "no such file or folder"
        case EEXIST: return "something is already there"
        case EISDIR: return "it is a folder, not a file"
        case ENOTEMPTY: return "the folder is not empty"
        case EXDEV: return "it is on another file system"
        case EIO: return "an input/output error (the disk or the file system)"
        default: return String(cString: strerror(code)).lowercased()
        }
    }

    /// `path`, when known, lets a reason Foundation lost (its "error 512") be found again.
    public static func text(of error: Error, path: String? = nil) -> String {
        if let code = errnoCode(of: error) ?? path.flatMap(diagnose) { return text(code) }
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain { return "the operation failed (Foundation error \(ns.code))" }
        let described = ns.localizedDescription
        return described.contains("Error Domain") || described.isEmpty ? "the operation failed (\(ns.domain) \(ns.code))" : described
    }

    /// Why an operation on `path` would fail, from the path itself: a name too long, or a file
    /// where a folder should be.
    static func diagnose(_ path: String) -> Int32? {
        let parts = path.split(separator: "/")
        if parts.contains(where: { $0.utf8.count > 255 }) || path.utf8.count >= 4096 { return ENAMETOOLONG }
        var prefix = ""
        for part in parts.dropLast() {
            prefix += "/" + part
            var st = stat()
            guard stat(prefix, &st) == 0 else { return errno == ENOENT ? nil : errno }
            if OutputFolder.type(st.st_mode) != mode_t(S_IFDIR) { return ENOTDIR }
        }
        return nil
    }

    /// The errno behind `error`: a POSIX error itself, the one Foundation keeps as the underlying
    /// error, or the one its Cocoa code stands for.
    static func errnoCode(of error: Error) -> Int32? {
        if let p = error as? POSIXError { return p.code.rawValue }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let under = ns.userInfo[NSUnderlyingErrorKey] as? NSError, under.domain == NSPOSIXErrorDomain {
            return Int32(under.code)
        }
        guard ns.domain == NSCocoaErrorDomain else { return nil }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return ENOENT
        case .fileReadNoPermission, .fileWriteNoPermission: return EACCES
        case .fileWriteVolumeReadOnly: return EROFS
        case .fileWriteOutOfSpace: return ENOSPC
        case .fileWriteFileExists: return EEXIST
        case .fileReadInvalidFileName, .fileWriteInvalidFileName: return ENAMETOOLONG
        default: return nil
        }
    }
}
