import Foundation

/// The one random number generator in finemix: xoshiro256** seeded through SplitMix64.
///
/// Everything that must be reproducible (splits, poisoning, trigger positions, dropout masks,
/// mixing masks) draws from it. It is written out here rather than taken from the standard
/// library because `SystemRandomNumberGenerator` is not seedable and the standard library's
/// `random(in:using:)` / `shuffled(using:)` algorithms are not promised to stay the same across
/// Swift versions or platforms. Every derived draw below (bounded integers, floats, shuffles) is
/// defined here too, so a seed means the same numbers everywhere.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        s0 = SeededRandom.splitMix64(&sm)
        s1 = SeededRandom.splitMix64(&sm)
        s2 = SeededRandom.splitMix64(&sm)
        s3 = SeededRandom.splitMix64(&sm)
    }

    /// A generator for an independent purpose derived from one user seed, so adding draws to one
    /// purpose (say, poisoning) never shifts the numbers another purpose (say, the split) sees.
    public init(seed: UInt64, stream: String) {
        // FNV-1a over the stream name: stable, unlike Hasher, which is randomly seeded per process.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stream.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        var mixed = seed ^ h
        self.init(seed: SeededRandom.splitMix64(&mixed))
    }

    public static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform integer in 0..<bound (bound > 0), without modulo bias (Lemire's method).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "SeededRandom.below needs a positive bound")
        let n = UInt64(bound)
        var m = next().multipliedFullWidth(by: n)
        if m.low < n {
            let threshold = (0 &- n) % n
            while m.low < threshold { m = next().multipliedFullWidth(by: n) }
        }
        return Int(m.high)
    }

    /// Uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform Double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Fisher-Yates, drawing from the end: the same permutation for the same state on every platform.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        var i = array.count - 1
        while i > 0 {
            let j = below(i + 1)
            if i != j { array.swapAt(i, j) }
            i -= 1
        }
    }

    public mutating func shuffled<T>(_ array: [T]) -> [T] {
        var copy = array
        shuffle(&copy)
        return copy
    }
}

/// Counter-based draws: the value at `index` of the stream `key` is a pure function of both, so a
/// mask over a tensor is the same however the tensor is cut into chunks or spread over threads.
/// It is SplitMix64 evaluated at position `index` (the state after index + 1 steps from `key`).
extension SeededRandom {
    /// The key of a named stream under a user seed (e.g. `mix/<tensor name>`).
    public static func streamKey(seed: UInt64, stream: String) -> UInt64 {
        var g = SeededRandom(seed: seed, stream: stream)
        return g.next()
    }

    @inline(__always)
    public static func bits(key: UInt64, index: UInt64) -> UInt64 {
        var z = key &+ (index &+ 1) &* 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The threshold on the top 53 bits for a Bernoulli(p) draw: `bits >> 11 < threshold` holds
    /// with probability p (exactly 0 for p = 0, always for p = 1).
    public static func bernoulliThreshold(_ p: Double) -> UInt64 {
        if !(p > 0) { return 0 }
        if p >= 1 { return 1 << 53 }
        return UInt64((p * 9_007_199_254_740_992.0).rounded(.down))
    }

    /// A standard normal draw at `index` (Box-Muller over the draws 2·index and 2·index + 1).
    public static func normal(key: UInt64, index: UInt64) -> Double {
        let a = bits(key: key, index: index &* 2), b = bits(key: key, index: index &* 2 &+ 1)
        let u1 = (Double(a >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)   // (0, 1]
        let u2 = Double(b >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
