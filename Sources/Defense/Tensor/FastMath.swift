/// Transcendentals and reductions written so the compiler vectorises the loops that call them:
/// libm's expf/erff are opaque calls, one element at a time, and Float sums do not vectorise
/// without explicit SIMD accumulators (IEEE order). These were the largest non-sgemm costs.
public enum FastMath {
    /// e^x within 2 ulp on [-87.3, 88.7] (Cephes' polynomial; inputs clamped to that range, so
    /// very negative x gives ~1e-38 rather than 0).
    @inline(__always) public static func exp(_ x: Float) -> Float {
        let xc = Swift.min(Swift.max(x, -87.33654), 88.72283)
        let n = (xc * 1.442_695_04).rounded(.toNearestOrEven)
        let r = xc - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 0.166_666_655
        p = p * r + 0.500_000_01
        let y = p * r * r + r + 1
        return y * Float(bitPattern: UInt32(bitPattern: (Int32(n) &+ 127) &<< 23))
    }

    /// erf(x) to 1.5e-7 absolute (Abramowitz & Stegun 7.1.26, the formula PyTorch's vectorised
    /// CPU erf uses).
    @inline(__always) public static func erf(_ x: Float) -> Float {
        let a = Swift.abs(x)
        let y = erfOfMagnitude(a, expOfMinusSquare: exp(-a * a))
        return x < 0 ? -y : y
    }

    /// erf(a) for a ≥ 0 given e = e^(−a²), which GELU's derivative shares: A&S 7.1.26's
    /// 1 − t·P(t)·e with t = 1/(1 + 0.3275911·a).
    @inline(__always) static func erfOfMagnitude(_ a: Float, expOfMinusSquare e: Float) -> Float {
        let t = 1 / (1 + 0.327_591_1 * a)
        var p: Float = 1.061_405_429
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        return 1 - p * t * e
    }

    /// `exp` on eight lanes, bit for bit the same per lane. The compiler does not vectorise the
    /// scalar loops when input and output may alias (in-place GELU), so hot loops call this.
    /// Rounding by adding 1.5·2²³ leaves n in the low mantissa bits, which become the exponent.
    @inline(__always) public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var xc = x
        xc.replace(with: -87.33654, where: xc .< -87.33654)
        xc.replace(with: 88.72283, where: xc .> 88.72283)
        let shifted = xc * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = xc - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 0.166_666_655
        p = p * r + 0.500_000_01
        let y = p * r * r + r + 1
        let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return y * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    /// `erf` on eight lanes, bit for bit the same per lane.
    @inline(__always) public static func erf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let xb = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let a = unsafeBitCast(xb & 0x7FFF_FFFF, to: SIMD8<Float>.self)
        let y = erfOfMagnitude(a, expOfMinusSquare: exp(-a * a))
        return unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) | (xb & 0x8000_0000), to: SIMD8<Float>.self)
    }

    /// `erfOfMagnitude` on eight lanes, bit for bit the same per lane.
    @inline(__always) static func erfOfMagnitude(_ a: SIMD8<Float>, expOfMinusSquare e: SIMD8<Float>) -> SIMD8<Float> {
        let t = 1 / (1 + 0.327_591_1 * a)
        var p = SIMD8<Float>(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        return 1 - p * t * e
    }

    @inline(__always) static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ p[0..<n].
    @inline(__always) public static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var j = 0
        while j + 8 <= n { acc += load(p + j); j += 8 }
        var s = acc.sum()
        while j < n { s += p[j]; j += 1 }
        return s
    }

    /// Σ a[j]·b[j].
    @inline(__always) public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var j = 0
        while j + 8 <= n { acc = acc.addingProduct(load(a + j), load(b + j)); j += 8 }
        var s = acc.sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    /// Σ (p[j] − m)².
    @inline(__always) public static func squaredDeviation(_ p: UnsafePointer<Float>, _ n: Int, mean m: Float) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        let mv = SIMD8<Float>(repeating: m)
        var j = 0
        while j + 8 <= n { let d = load(p + j) - mv; acc = acc.addingProduct(d, d); j += 8 }
        var s = acc.sum()
        while j < n { let d = p[j] - m; s += d * d; j += 1 }
        return s
    }

    /// max p[0..<n] (n ≥ 1).
    @inline(__always) public static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var j = 0
        var m = -Float.infinity
        if n >= 8 {
            var acc = load(p)
            j = 8
            // compare-and-blend, not pointwiseMax: that is IEEE maximum (NaN-aware), which the
            // compiler lowers to a scalar call per lane and was a third of softmax's time
            while j + 8 <= n { let v = load(p + j); acc.replace(with: v, where: v .> acc); j += 8 }
            m = acc[0]
            for i in 1..<8 where acc[i] > m { m = acc[i] }
        }
        while j < n { if p[j] > m { m = p[j] }; j += 1 }
        return m
    }
}
