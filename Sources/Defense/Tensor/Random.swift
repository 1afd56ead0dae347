import Foundation

extension SeededRandom {
    /// Standard normal by Box–Muller (one value per call keeps the stream easy to reason about);
    /// used for HuggingFace-style N(0, σ) initialisation.
    public mutating func nextNormal() -> Float {
        let u1 = max(nextDouble(), 1e-300), u2 = nextDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}

/// Counter-based randomness: the value at (key, index) is a pure function, so dropout masks are
/// regenerated in backward instead of stored, and any split over threads draws the same numbers.
public enum Counter {
    @inline(__always) static func mix(_ z0: UInt64) -> UInt64 {
        var s = z0
        return SeededRandom.splitMix64(&s)
    }

    /// A 32-bit key for one stream, from a seed and up to three coordinates.
    public static func key(_ seed: UInt64, _ a: Int, _ b: Int = 0, _ c: Int = 0) -> UInt32 {
        var z = mix(seed)
        z = mix(z ^ UInt64(truncatingIfNeeded: a))
        z = mix(z ^ UInt64(truncatingIfNeeded: b))
        z = mix(z ^ UInt64(truncatingIfNeeded: c))
        return UInt32(truncatingIfNeeded: z >> 32)
    }

    /// 32 well-mixed bits for `index` in stream `key`: one round of the lowbias32 hash over a
    /// Weyl-scrambled counter (32-bit multiplies so the dropout loops vectorise).
    @inline(__always) public static func bits(_ key: UInt32, _ index: UInt32) -> UInt32 {
        var x = (index &+ key) &* 0x9E37_79B1 ^ key
        x ^= x >> 16; x = x &* 0x7FEB_352D; x ^= x >> 15; x = x &* 0x846C_A68B; x ^= x >> 16
        return x
    }
}
