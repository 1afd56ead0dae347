import Foundation

/// The committed fixtures: `Tests/Fixtures/NAME`, found from this file's place in the checkout,
/// so tests read them wherever the checkout is.
public enum Fixtures {
    public static func folder(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
    }
}
