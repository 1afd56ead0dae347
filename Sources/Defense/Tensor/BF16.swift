/// bfloat16: a Float's sign, exponent and top 7 mantissa bits. Products of BF16 inputs summed in
/// FP32 run about twice as fast as FP32 sgemm on CPUs with AVX512-BF16 (docs/bf16.md).
public enum BF16 {
    /// Round to nearest, ties to even, as PyTorch's `tensor.to(torch.bfloat16)`; a NaN stays a
    /// NaN (rounding could carry its payload into an infinity).
    @inline(__always) public static func round(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if u & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: u >> 16) | 0x40 }
        return UInt16(truncatingIfNeeded: (u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16)
    }

    /// dst[i, j] = round(src[i·stride + j]) for rows × cols, dst packed (row stride cols).
    /// `round` in a plain loop: the compiler turns it into vector selects (the SIMD8 type's
    /// generic conversions took a third of BF16 inference's time).
    static func convert(_ src: UnsafePointer<Float>, rows: Int, cols: Int, stride: Int, into dst: UnsafeMutablePointer<UInt16>) {
        for i in 0..<rows {
            let s = UnsafeRawPointer(src + i * stride).assumingMemoryBound(to: UInt32.self), d = dst + i * cols
            for j in 0..<cols {
                let u = s[j]
                let rounded = UInt16(truncatingIfNeeded: (u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16)
                d[j] = u & 0x7fff_ffff > 0x7f80_0000 ? UInt16(truncatingIfNeeded: u >> 16) | 0x40 : rounded
            }
        }
    }
}
