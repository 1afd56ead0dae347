import Foundation

/// k successes out of n trials, with the Wilson score interval: unlike the normal approximation
/// it stays inside [0, 1] and is not zero-width at k = 0 or k = n, which is where a trigger
/// hunt's flip rates live (a clean word flips nothing, a trigger flips everything).
public struct Proportion: Sendable, Hashable, Codable {
    public var k: Int
    public var n: Int
    public init(_ k: Int, of n: Int) { self.k = k; self.n = n }

    /// k / n; 0 when n is 0.
    public var rate: Double { n == 0 ? 0 : Double(k) / Double(n) }

    /// z = 1.96: the two-sided 95% interval.
    public static let z95 = 1.959964

    /// Wilson score interval: (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n); [0, 1] for n = 0.
    public func wilson(z: Double = Proportion.z95) -> (low: Double, high: Double) {
        guard n > 0 else { return (0, 1) }
        let nn = Double(n), p = rate, z2 = z * z
        let centre = p + z2 / (2 * nn)
        let spread = z * (p * (1 - p) / nn + z2 / (4 * nn * nn)).squareRoot()
        let d = 1 + z2 / nn
        return (max(0, (centre - spread) / d), min(1, (centre + spread) / d))
    }
}
