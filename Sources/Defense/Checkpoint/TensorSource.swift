/// What the engine loads weights from and hands weights to, so that the model code knows nothing
/// of file formats. Names are canonical: HuggingFace's BERT names without the `bert.` prefix
/// (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`,
/// `pooler.dense.weight`, `classifier.weight`). Linear weights are `[out, in]`, as HuggingFace stores them.
public protocol TensorSource {
    /// Canonical names of the floating-point tensors available.
    var tensorNames: [String] { get }
    func shape(of name: String) -> [Int]?
    /// Copies (converting F16/BF16 to Float) exactly `buffer.count` values; throws naming the
    /// tensor when it is missing or its element count differs.
    func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws
}

/// A tensor by value: what a model hands to the checkpoint writer.
public struct NamedTensor: Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name; self.shape = shape; self.values = values
    }
}

/// An in-memory source, for tests and for models built in the program.
public struct TensorDictionary: TensorSource {
    public var tensors: [String: NamedTensor]
    public init(_ list: [NamedTensor]) {
        tensors = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }
    public var tensorNames: [String] { tensors.keys.sorted() }
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    public func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let t = tensors[name] else { throw FinemixError("tensor \(name) is missing") }
        guard t.values.count == buffer.count else {
            throw FinemixError("tensor \(name): expected \(buffer.count) values, found \(t.values.count)")
        }
        _ = buffer.initialize(from: t.values)
    }
}

/// Ranged access, so analyses can stream over two large checkpoints in parallel pieces without
/// copying whole models. Kept out of the protocol's original requirements; every source gets the
/// default below, and safetensors files (read into memory at load) answer with pointers into their buffer.
public protocol RangedTensorSource: TensorSource {
    /// Calls `body` with the values `range` of tensor `name` (flat, row-major) as Float. The
    /// pointer is valid only inside `body`. `scratch` must hold at least `range.count` values;
    /// a source that has to convert or copy writes there.
    func withFloats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                       _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R
}

extension TensorSource {
    public func elementCount(of name: String) -> Int? {
        shape(of: name).map { $0.reduce(1, *) }
    }

    /// The generic path: read the whole tensor, hand out the range. Sources that can do better
    /// (SafetensorsFile, TensorDictionary) conform to RangedTensorSource.
    public func floats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                          _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        if let ranged = self as? any RangedTensorSource {
            return try ranged.withFloats(name, in: range, scratch: scratch, body)
        }
        guard let count = elementCount(of: name) else { throw FinemixError("tensor \(name) is missing") }
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw FinemixError("tensor \(name): range \(range) is outside its \(count) values")
        }
        var all = [Float](repeating: 0, count: count)
        try all.withUnsafeMutableBufferPointer { try readFloats(name, into: $0) }
        return try all.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }
}

extension TensorDictionary: RangedTensorSource {
    public func withFloats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                              _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard let t = tensors[name] else { throw FinemixError("tensor \(name) is missing") }
        guard range.lowerBound >= 0, range.upperBound <= t.values.count else {
            throw FinemixError("tensor \(name): range \(range) is outside its \(t.values.count) values")
        }
        return try t.values.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }
}
