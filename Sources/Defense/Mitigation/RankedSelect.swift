import Dispatch
import Foundation

/// Exact top-k by |Δ| without sorting or holding |Δ|: a radix select on the bit pattern of |Δ|
/// (for non-negative floats the bit patterns order as the values do), then the index of the last
/// tie that is kept. Three streaming passes over the two sources per tensor; tensors in parallel.
enum RankedSelect {
    struct Cut { let cut: UInt32; let lastTie: Int }

    /// The rank of an entry: the bits of |v − p|, complemented for `smallest` so that "keep the k
    /// highest ranks, ties to the lower index" serves both directions.
    @inline(__always)
    static func rank(_ p: Float, _ v: Float, smallest: Bool) -> UInt32 {
        let bits = (v - p).magnitude.bitPattern
        return smallest ? ~bits : bits
    }

    static let chunk = 1 << 20

    static func cuts(pre: any TensorSource, victim: any TensorSource, tensors: [(name: String, k: Int, n: Int)],
                     smallest: Bool) throws -> [Cut] {
        if tensors.isEmpty { return [] }
        let out = UnsafeMutableBufferPointer<Cut>.allocate(capacity: tensors.count)
        out.initialize(repeating: Cut(cut: 0, lastTie: 0))
        defer { out.deallocate() }
        // Largest tensors first so the last to finish are small.
        let order = tensors.indices.sorted { tensors[$0].n > tensors[$1].n }
        let failure = FirstError()
        let shared = UncheckedBox((pre, victim, tensors, order, out))
        DispatchQueue.concurrentPerform(iterations: order.count) { j in
            let (pre, victim, tensors, order, out) = shared.value
            let t = tensors[order[j]]
            do {
                out[order[j]] = try cut(pre: pre, victim: victim, name: t.name, k: t.k, n: t.n, smallest: smallest)
            } catch {
                failure.record(error)
            }
        }
        if let e = failure.error { throw e }
        return Array(out)
    }

    /// Calls `body(first index, ranks)` over the tensor in chunks.
    static func forEachChunk(pre: any TensorSource, victim: any TensorSource, name: String, n: Int, smallest: Bool,
                             _ body: (Int, UnsafeBufferPointer<UInt32>) -> Bool) throws {
        let size = min(chunk, max(n, 1))
        let a = UnsafeMutableBufferPointer<Float>.allocate(capacity: size)
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: size)
        let ranks = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: size)
        defer { a.deallocate(); b.deallocate(); ranks.deallocate() }
        var lo = 0
        while lo < n {
            let range = lo..<min(n, lo + size)
            let more = try pre.floats(name, in: range, scratch: a) { p in
                try victim.floats(name, in: range, scratch: b) { v in
                    for k in 0..<range.count { ranks[k] = rank(p[k], v[k], smallest: smallest) }
                    return body(range.lowerBound, UnsafeBufferPointer(start: ranks.baseAddress, count: range.count))
                }
            }
            if !more { return }
            lo = range.upperBound
        }
    }

    /// 0 < k < n.
    static func cut(pre: any TensorSource, victim: any TensorSource, name: String, k: Int, n: Int,
                    smallest: Bool) throws -> Cut {
        // Pass 1: high 16 bits.
        var hist = [Int](repeating: 0, count: 1 << 16)
        try hist.withUnsafeMutableBufferPointer { h in
            try forEachChunk(pre: pre, victim: victim, name: name, n: n, smallest: smallest) { _, r in
                for x in r { h[Int(x >> 16)] += 1 }
                return true
            }
        }
        var above = 0
        var high = 1 << 16 - 1
        while above + hist[high] < k { above += hist[high]; high -= 1 }
        // Pass 2: low 16 bits among ranks whose high half is `high`.
        var low = [Int](repeating: 0, count: 1 << 16)
        let hi32 = UInt32(high)
        try low.withUnsafeMutableBufferPointer { h in
            try forEachChunk(pre: pre, victim: victim, name: name, n: n, smallest: smallest) { _, r in
                for x in r where x >> 16 == hi32 { h[Int(x & 0xffff)] += 1 }
                return true
            }
        }
        var l = 1 << 16 - 1
        while above + low[l] < k { above += low[l]; l -= 1 }
        let cut = hi32 << 16 | UInt32(l)
        let ties = k - above   // how many entries ranked exactly `cut` are kept, 1...low[l]
        if ties == low[l] { return Cut(cut: cut, lastTie: n) }
        // Pass 3: the index of the `ties`-th entry ranked `cut`.
        var seen = 0
        var last = n
        try forEachChunk(pre: pre, victim: victim, name: name, n: n, smallest: smallest) { first, r in
            for (j, x) in r.enumerated() where x == cut {
                seen += 1
                if seen == ties { last = first + j; return false }
            }
            return true
        }
        return Cut(cut: cut, lastTie: last)
    }
}
