import CBLAS
import Dispatch
import Foundation

/// Linear layers over row-major buffers, weights `[out, in]` as HuggingFace stores them.
public enum Linear {
    /// out[rows, outF] = inp[rows, inF] · W[outF, inF]ᵀ + b[outF]
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                               _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                               rows: Int, inF: Int, outF: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outF), Int32(inF),
                    1, inp, Int32(inF), weight, Int32(inF), 0, out, Int32(outF))
        if let bias { addBias(out, bias, rows: rows, cols: outF) }
    }

    /// out[rows, outF] += inp[rows, inF] · W[outF, inF]ᵀ, with `out` already holding the bias (and
    /// residual) from `prefill`. sgemm with beta 1 skips OpenBLAS's separate pass that zeroes C
    /// for beta 0, and the bias needs no pass of its own.
    /// `inStride`/`outStride` (default inF/outF) are the row strides of inp and out: a column
    /// block, or every S-th row, in place.
    public static func accumulate(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                                  _ weight: UnsafePointer<Float>, rows: Int, inF: Int, outF: Int,
                                  inStride: Int? = nil, outStride: Int? = nil) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outF), Int32(inF),
                    1, inp, Int32(inStride ?? inF), weight, Int32(inF), 1, out, Int32(outStride ?? outF))
    }

    /// out[i, j] = b[j] (+ residual[i, j]): the starting value of `accumulate`.
    public static func prefill(_ out: UnsafeMutablePointer<Float>, bias b: UnsafePointer<Float>,
                               residual: UnsafePointer<Float>?, rows: Int, cols: Int) {
        Parallel.forRange(rows, grain: cols) { r in
            for i in r {
                let row = out + i * cols
                if let residual {
                    let res = residual + i * cols
                    for j in 0..<cols { row[j] = res[j] + b[j] }
                } else {
                    row.update(from: b, count: cols)
                }
            }
        }
    }

    /// dW[outF, inF] += doutᵀ·inp, db[outF] += Σ_rows dout, dinp[rows, inF] = (or +=) dout·W.
    /// `doutStride` (default outF) and `inStride` (default inF, for inp and dinp) are row strides.
    public static func backward(dinp: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
                                dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
                                dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rows: Int, inF: Int, outF: Int, doutStride: Int? = nil, inStride: Int? = nil) {
        let ldo = Int32(doutStride ?? outF), ldi = Int32(inStride ?? inF)
        if let dweight {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outF), Int32(inF), Int32(rows),
                        1, dout, ldo, inp, ldi, 1, dweight, Int32(inF))
        }
        if let dbias { columnSums(dbias, dout, rows: rows, cols: outF, stride: doutStride) }
        if let dinp {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(inF), Int32(outF),
                        1, dout, ldo, weight, Int32(inF), accumulateInput ? 1 : 0, dinp, ldi)
        }
    }

    /// x[rows, cols] += b[cols] on every row.
    public static func addBias(_ x: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, cols: Int) {
        Parallel.forRange(rows, grain: cols) { r in
            for i in r {
                let row = x + i * cols
                for j in 0..<cols { row[j] += b[j] }
            }
        }
    }

    /// db[cols] += Σ_i x[i, cols]; columns split over the workers so each sum has one fixed order.
    /// `stride` (default cols) is the distance between rows of x.
    public static func columnSums(_ db: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                  stride: Int? = nil) {
        let split = rows * cols >= Parallel.minimumPerThread * 2 && cols >= 64
        let ld = stride ?? cols
        let body: (Range<Int>) -> Void = { c in
            for i in 0..<rows {
                let row = x + i * ld
                for j in c { db[j] += row[j] }
            }
        }
        if split {
            Parallel.forWorkers(cols) { _, c in body(c) }
        } else {
            body(0..<cols)
        }
    }
}

/// Thread control for OpenBLAS: big multiplies use every core, attention runs many small
/// single-threaded multiplies side by side.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS single-threaded, restoring the previous count when the last of
    /// the blocks running at the time ends. The count is one setting for the whole process, and
    /// jobs overlap (the workbench's background points beside an evaluation; tests side by side):
    /// a block that restored it on its own end would make another, still running, multiply on
    /// several threads part of the way, which rounds differently.
    public static func single<T>(_ body: () throws -> T) rethrows -> T {
        singleLock.lock()
        if singleBlocks == 0 { countOutside = current; if countOutside != 1 { set(1) } }
        singleBlocks += 1
        singleLock.unlock()
        defer {
            singleLock.lock()
            singleBlocks -= 1
            if singleBlocks == 0, countOutside != 1 { set(countOutside) }
            singleLock.unlock()
        }
        return try body()
    }

    /// Runs `body(w)` for workers 0..<t side by side, each multiplying on one thread (the
    /// engine's kernels inside run on the calling worker); returns each worker's error, nil for
    /// those that finished. The caller decides which failure is reported.
    public static func sideBySide(workers t: Int, _ body: (Int) throws -> Void) -> [(any Error)?] {
        var failures = [(any Error)?](repeating: nil, count: t)
        failures.withUnsafeMutableBufferPointer { failed in
            single {
                Parallel.forEach(workers: t) { w in
                    do { try body(w) } catch { failed[w] = error }
                }
            }
        }
        return failures
    }

    private static let singleLock = NSLock()
    /// Blocks of `single` running now, and the count to restore when none is.
    nonisolated(unsafe) private static var singleBlocks = 0
    nonisolated(unsafe) private static var countOutside = 1
}

extension BLASThreads {
    /// Best of `repeats` square n×n×n multiplies with the current thread count, in GFLOP/s: the
    /// machine's attainable rate that benchmarks compare the engine with.
    public static func sgemmRate(n: Int, repeats: Int) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n), b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1; c[i] = 0 }
        var best = Double.infinity
        for _ in 0...repeats {  // the first is a warm-up
            let t0 = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, c, Int32(n))
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }
}
