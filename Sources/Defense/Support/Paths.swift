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

    public static func configDirectory() -> URL {
        let env = ProcessInfo.processInfo.environment
        let configHome = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.config")
        return URL(fileURLWithPath: configHome, isDirectory: true).appendingPathComponent("finemix")
    }
}
