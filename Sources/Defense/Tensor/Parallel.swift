import Dispatch
import Foundation

/// How the engine spreads element-wise work over the cores. Chunks are fixed by the thread count,
/// never by timing, so the same thread count always gives the same numbers.
public enum Parallel {
    /// Worker count for element-wise kernels and attention; the machine's active cores.
    nonisolated(unsafe) public static var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Below this many elements one thread is faster than waking another.
    public static let minimumPerThread = 16_384

    /// Calls `body(range)` on disjoint ranges covering 0..<count, one per worker.
    @inline(__always)
    public static func forRange(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let t = min(threads, max(1, count * grain / minimumPerThread))
        if t <= 1 || count < 2 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            let box = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: t) { i in
                let lo = count * i / t, hi = count * (i + 1) / t
                if lo < hi { box.value(lo..<hi) }
            }
        }
    }

    /// Calls `body(worker, range)` with exactly `threads` workers (some ranges may be empty);
    /// the worker index selects per-thread scratch.
    @inline(__always)
    public static func forWorkers(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        let t = threads
        if t <= 1 { body(0, 0..<count); return }
        withoutActuallyEscaping(body) { body in
            let box = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: t) { i in
                box.value(i, (count * i / t)..<(count * (i + 1) / t))
            }
        }
    }

    /// Calls `body(worker)` for workers 0..<t at once. Parallel kernels called inside run on the
    /// calling worker alone: a dispatch apply nested in one as wide as the machine gets one thread.
    public static func forEach(workers t: Int, _ body: (Int) -> Void) {
        if t <= 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            let box = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: t) { i in box.value(i) }
        }
    }
}

/// Hands a closure over raw buffers to worker threads. The kernels guarantee that workers touch
/// disjoint ranges, which the compiler cannot see.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
