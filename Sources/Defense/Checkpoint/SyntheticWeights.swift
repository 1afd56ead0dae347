/// Random BERT weights computed on demand, for timing and tests on model sizes we have no real
/// checkpoint of. Every value is a pure function of (seed, tensor name, index) through SplitMix64,
/// so any range can be produced alone, two sources with the same seed agree exactly, and nothing
/// the size of a model is ever held in memory.
///
/// Weights are uniform with standard deviation `config.initializerRange` (0.02 by default, as
/// HuggingFace initialises); LayerNorm weights are 1 and LayerNorm biases 0; other biases are
/// uniform with a tenth of that deviation. `perturb[name] = s` adds uniform noise of standard
/// deviation `s` to that tensor (a stand-in for fine-tuning drift).
public struct SyntheticWeights: RangedTensorSource, Sendable {
    public let config: BertConfig
    public let seed: UInt64
    public let perturb: [String: Float]
    private let shapes: [String: [Int]]

    public init(config: BertConfig, seed: UInt64, withHead: Bool, perturb: [String: Float] = [:]) throws {
        self.config = config
        self.seed = seed
        self.perturb = perturb
        shapes = CheckpointFolder.expectedShapes(config, withHead: withHead)
        for name in perturb.keys where shapes[name] == nil {
            throw FinemixError("--perturb: no tensor named \(name) in this model (e.g. embeddings.word_embeddings.weight)")
        }
    }

    public var tensorNames: [String] { shapes.keys.sorted() }
    public func shape(of name: String) -> [Int]? { shapes[name] }

    public func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let count = elementCount(of: name) else { throw FinemixError("tensor \(name) is missing") }
        guard count == buffer.count else {
            throw FinemixError("tensor \(name): expected \(buffer.count) values, found \(count)")
        }
        fill(name, 0..<count, buffer.baseAddress!)
    }

    public func withFloats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                              _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard let count = elementCount(of: name) else { throw FinemixError("tensor \(name) is missing") }
        guard range.lowerBound >= 0, range.upperBound <= count, scratch.count >= range.count else {
            throw FinemixError("tensor \(name): range \(range) is outside its \(count) values or the scratch")
        }
        if range.isEmpty { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        fill(name, range, scratch.baseAddress!)
        return try body(UnsafeBufferPointer(start: scratch.baseAddress, count: range.count))
    }

    private func fill(_ name: String, _ range: Range<Int>, _ out: UnsafeMutablePointer<Float>) {
        let sd = Float(config.initializerRange)
        let isLayerNorm = name.contains("LayerNorm")
        let isBias = name.hasSuffix(".bias")
        let key = seed &* 0x9E37_79B9_7F4A_7C15 ^ Self.fnv1a(name)
        // uniform on [-1, 1) has deviation 1/sqrt(3)
        let scale: Float = isLayerNorm ? 0 : (isBias ? sd / 10 : sd) * 1.7320508
        let offset: Float = isLayerNorm && !isBias ? 1 : 0
        for (k, i) in range.enumerated() {
            out[k] = offset + scale * Self.uniform(key, UInt64(i))
        }
        if let s = perturb[name] {
            let noiseKey = key ^ 0xD1B5_4A32_D192_ED03
            let a = s * 1.7320508
            for (k, i) in range.enumerated() { out[k] += a * Self.uniform(noiseKey, UInt64(i)) }
        }
    }

    /// SplitMix64 of (key, index) mapped to [-1, 1).
    @inline(__always)
    static func uniform(_ key: UInt64, _ index: UInt64) -> Float {
        var z = key &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * (2.0 / 16_777_216.0) - 1
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
