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
