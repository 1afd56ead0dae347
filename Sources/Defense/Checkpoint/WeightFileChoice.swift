import Foundation

/// Which weight file of a model folder is read, in transformers' order of preference: a single
/// safetensors file, safetensors shards, a single torch pickle, torch pickle shards. finemix
/// itself always saves `model.safetensors`.
public enum WeightFileChoice: String, CaseIterable, Sendable {
    case safetensors = "model.safetensors"
    case shardedSafetensors = "model.safetensors.index.json"
    case torch = "pytorch_model.bin"
    case shardedTorch = "pytorch_model.bin.index.json"

    /// The first of the names present in `folder`; throws naming all of them when none is.
    public static func find(in folder: URL) throws -> WeightFileChoice {
        for choice in allCases where FileManager.default.fileExists(atPath: folder.appendingPathComponent(choice.rawValue).path) {
            return choice
        }
        let names = allCases.map(\.rawValue)
        throw FinemixError("\(folder.path): no weights found; a model folder needs one of \(names.dropLast().joined(separator: ", ")) or \(names.last!)")
    }

    /// Reads the weights; `origin` says what was read, for the header and inspect.
    public static func load(from folder: URL, family: ModelFamily = .bert) throws -> (weights: SafetensorsFile, origin: String) {
        let choice = try find(in: folder)
        let url = folder.appendingPathComponent(choice.rawValue)
        let weights: SafetensorsFile
        switch choice {
        case .safetensors: weights = try SafetensorsFile(url, family: family)
        case .shardedSafetensors: weights = try ShardedWeights.read(index: url) { try SafetensorsFile($0, family: family) }
        case .torch: weights = try TorchBin.read(url, family: family)
        case .shardedTorch: weights = try ShardedWeights.read(index: url) { try TorchBin.read($0, family: family) }
        }
        let shards = weights.files.count - 1
        return (weights, shards > 0 ? "\(choice.rawValue) (\(shards) shards)" : choice.rawValue)
    }
}
