import Foundation

/// The one way the tests make temporary folders: under the system's temporary folder (never a
/// home path), named `fm-TAG-` and 8 random hex digits, so parallel runs never meet and paths
/// stay short enough to read on an 80-column screen.
///
/// An instance creates its folder and removes it in `remove()` or when it goes away. Release
/// builds may free an object after its last use, so a test that needs the folder to the end of
/// its scope says `defer { folder.remove() }`.
public final class TempFolder: @unchecked Sendable {
    public let url: URL

    public init(_ tag: String = "test") {
        url = TempFolder.url(tag)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { remove() }

    public var path: String { url.path }

    /// Writes `data` to `name` inside the folder.
    @discardableResult
    public func file(_ name: String, _ data: Data) throws -> URL {
        let u = url.appendingPathComponent(name)
        try data.write(to: u)
        return u
    }

    /// Writes `text` to `name` inside the folder; returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String { write(name, Data(text.utf8)) }

    @discardableResult
    public func write(_ name: String, _ data: Data) -> String {
        try! file(name, data).path
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }

    /// A fresh path `fm-TAG-XXXXXXXX` under the temporary folder, not created (for tests where
    /// finemix must create it, or that remove it themselves).
    public static func url(_ tag: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("fm-\(tag)-\(UUID().uuidString.prefix(8))")
    }

    /// A path under the temporary folder that stays the same across runs (a workspace reused as
    /// a cache), not created.
    public static func named(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent(name)
    }
}
