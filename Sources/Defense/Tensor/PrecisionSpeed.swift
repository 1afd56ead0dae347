import Dispatch

/// `precision=auto`: BF16 where it is faster here, timed, not assumed. AVX512-BF16 says what the
/// CPU can run, not how fast: on AMD's Zen 4 BF16 products ran at about twice the FP32 rate, on
/// Intel's Emerald Rapids without AMX at about half of it, and PyTorch's BF16 was slower than its
/// FP32 there too (docs/bf16.md).
public struct PrecisionSpeed: Sendable, CustomStringConvertible {
    /// What `auto` runs.
    public let precision: Precision
    /// BF16's time for the products over FP32's; nil where the CPU has no AVX512-BF16.
    public let bf16TimeRatio: Double?

    /// BF16 only when its products take at most this fraction of FP32's time: well clear of
    /// the noise of a 50 ms measurement, so a machine's answer does not flip between runs.
    public static let threshold = 0.8

    public static func choose(bf16TimeRatio r: Double?) -> Precision {
        guard let r, r.isFinite, r <= threshold else { return .fp32 }
        return .bf16
    }

    /// Timed once per process, the first time `auto` is resolved.
    public static let here: PrecisionSpeed = {
        guard (try? Precision.bf16.requireSupported()) != nil else { return PrecisionSpeed(precision: .fp32, bf16TimeRatio: nil) }
        let r = (try? measureRatio()) ?? .infinity
        return PrecisionSpeed(precision: choose(bf16TimeRatio: r), bf16TimeRatio: r.isFinite ? r : nil)
    }()

    /// "fp32: BF16 products took 2.00 of FP32's time here (BF16 at most 0.8)" and the like, for
    /// logs and reports.
    public var description: String {
        guard let r = bf16TimeRatio else { return "fp32: this CPU has no AVX512-BF16 (or oneDNN failed on it)" }
        return String(format: "%@: BF16 products took %.2f of FP32's time here (BF16 at most %.1f)",
                      precision.rawValue, r, Self.threshold)
    }

    /// Training's feed-forward products at MiniLM's widths, on one core as each part of a step
    /// runs: a forward and an input gradient per precision, best of three after a warm-up.
    static func measureRatio() throws -> Double {
        var c = BertConfig.minilm
        c.numHiddenLayers = 1; c.vocabSize = 8; c.maxPositionEmbeddings = 8
        let model = BertModel(config: c)
        let H = c.hiddenSize, I = c.intermediateSize, rows = 1024
        let w = model.params.values[model.layout.layers[0].interW]
        let x = UnsafeMutablePointer<Float>.allocate(capacity: rows * I), y = UnsafeMutablePointer<Float>.allocate(capacity: rows * I)
        defer { x.deallocate(); y.deallocate() }
        for i in 0..<(rows * I) { x[i] = Float(i % 13) * 0.01 - 0.06; y[i] = 0 }
        for i in 0..<(I * H) { w[i] = Float(i % 7) * 0.01 - 0.03 }
        let bf16 = BF16Weights(model)
        let products = try BF16Products(weights: bf16, maxRows: rows)
        func best(_ body: () throws -> Void) rethrows -> Double {
            var t = Double.infinity
            for _ in 0..<4 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                t = min(t, Double(DispatchTime.now().uptimeNanoseconds - t0))
            }
            return t
        }
        return try BLASThreads.single {
            let fp32 = best {
                Linear.accumulate(y, x, w, rows: rows, inF: H, outF: I)
                Linear.backward(dinp: x, dweight: nil, dbias: nil, dout: y, inp: x, weight: w, rows: rows, inF: H, outF: I)
            }
            let half = try best {
                try products.forward(y, x, w, rows: rows, inF: H, outF: I)
                try products.backward(dinp: x, dweight: nil, dbias: nil, dout: y, inp: x, weight: w, rows: rows, inF: H, outF: I)
            }
            return half / fp32
        }
    }
}
