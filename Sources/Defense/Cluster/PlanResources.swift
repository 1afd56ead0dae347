import Foundation

/// What one Slurm task asks for, and the numbers it was computed from.
///
/// Memory (docs/cluster.md has the measurements behind it): a cell holds the pre-trained and the
/// victim weights, the mixed model, its gradients and AdamW's two moments — about 6 copies of the
/// weights — plus activations kept for the backward pass, which grow with batch × tokens × hidden
/// × layers, plus the process itself (runtime, tokenizer, data). Measured peak RSS:
/// MiniLM (91 MB of weights; batch 16 and 32) and BERT-base (438 MB; batch 16) cells fit
/// `64 MB + 6.85 × weights + 56 × batch × tokens × hidden × layers` bytes; 25% headroom on top.
///
/// A step trained in `shards` parts holds one more gradient buffer (a copy of the weights) per
/// part after the first, and uses a core per part.
///
/// CPUs: the matrix products scale to about one core per 250 M (parameters × batch) before
/// threads wait on each other; at least 1 (and the parts), at most 8.
public struct PlanResources: Codable, Equatable, Sendable {
    public var cpus: Int
    public var memoryMB: Int
    public var partition: String?
    public var gres: String?
    public var time: String?
    /// The basis of the numbers: the larger checkpoint's weight bytes, its shape, batch and tokens.
    public var weightBytes: Int
    public var parameters: Int
    public var hidden: Int
    public var layers: Int
    public var batch: Int
    public var tokens: Int

    enum CodingKeys: String, CodingKey {
        case cpus, partition, gres, time, parameters, hidden, layers, batch, tokens
        case memoryMB = "memory_mb", weightBytes = "weight_bytes"
    }

    public static let baseBytes = 64 << 20
    public static let weightCopies = 6.85
    public static let activationBytesPerUnit = 56.0
    public static let headroom = 1.25

    public init(weightBytes: Int, parameters: Int, hidden: Int, layers: Int, batch: Int, tokens: Int,
                shards: Int = FineTuneRecipe.defaultShards, partition: String? = nil, gres: String? = nil, time: String? = nil) {
        self.weightBytes = weightBytes; self.parameters = parameters; self.hidden = hidden; self.layers = layers
        self.batch = batch; self.tokens = tokens
        self.partition = partition; self.gres = gres; self.time = time
        let activations = Self.activationBytesPerUnit * Double(batch * tokens * hidden * layers)
        let copies = Self.weightCopies + Double(max(1, shards) - 1)
        let bytes = (Double(Self.baseBytes) + copies * Double(weightBytes) + activations) * Self.headroom
        // Whole 64 MB steps: schedulers round anyway, and the script reads better.
        memoryMB = Int((bytes / Double(1 << 20) / 64).rounded(.up)) * 64
        cpus = min(8, max(1, shards, Int((Double(parameters) * Double(batch) / 250e6).rounded(.up))))
    }

    /// Checks the optional Slurm values before they reach a script: one word each, no newline.
    public static func checkWord(_ value: String?, option: String) throws {
        guard let v = value else { return }
        if v.isEmpty || v.contains(where: { $0.isWhitespace || $0 == "#" || $0 == "'" || $0 == "\"" }) {
            throw FinemixError("\(option) '\(v)': expected one word without spaces or quotes, as sbatch takes it")
        }
    }
}
