import Foundation

/// Where finemix keeps what it owns on disk. The workspace holds the resource cache, prepared
/// models, saved variants and the journal; `FINEMIX_WORKSPACE` or `--workspace` overrides it.
public enum Paths {
    public static func defaultWorkspace() -> URL {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["FINEMIX_WORKSPACE"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        let dataHome = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.local/share")
        return URL(fileURLWithPath: dataHome, isDirectory: true).appendingPathComponent("finemix")
    }

    /// Refuses, in one sentence, a workspace whose `dir` cannot be written (read-only, full,
    /// a file in the way), before any command runs: creates `dir` and a probe file in it.
    public static func requireWritable(_ dir: URL, workspace: URL) throws {
        func refuse(_ reason: String) -> FinemixError {
            FinemixError("the workspace \(workspace.path) cannot be written (\(dir.path): \(reason)); choose a writable one with --workspace or FINEMIX_WORKSPACE")
        }
        do { try AtomicFile.createFolder(dir) } catch let e as FinemixError {
            throw refuse(String(e.message.split(separator: ": ").last ?? ""))
        }
        let probe = dir.appendingPathComponent(".probe-\(getpid())").path
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw refuse(FileSystemReason.text(errno)) }
        let written = write(fd, "x", 1)
        let code = errno
        close(fd)
        unlink(probe)
        guard written == 1 else { throw refuse(FileSystemReason.text(code)) }
    }

    public static func configDirectory() -> URL {
        let env = ProcessInfo.processInfo.environment
        let configHome = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.config")
        return URL(fileURLWithPath: configHome, isDirectory: true).appendingPathComponent("finemix")
    }
}
