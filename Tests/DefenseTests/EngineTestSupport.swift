import Foundation
import TestSupport
@testable import Defense

/// Small helpers the engine tests share.
enum EngineTest {
    static var fixtures: URL { Fixtures.folder("engine") }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func floats(_ any: Any?) -> [Float] { (any as! [NSNumber]).map { $0.floatValue } }
    static func ints(_ any: Any?) -> [Int] { (any as! [NSNumber]).map { $0.intValue } }

    static func randomArray(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var r = SeededRandom(seed: seed)
        return (0..<n).map { _ in r.nextNormal() * scale }
    }

    /// Largest |a−b| / (|b| + floor) over two arrays.
    static func maxRelative(_ a: [Float], _ b: [Float], floor: Float) -> Float {
        zip(a, b).map { abs($0 - $1) / (abs($1) + floor) }.max() ?? 0
    }
}
