import Foundation

extension BertModel {
    /// The model stored in a checkpoint folder. A folder without a classifier head (a bare encoder
    /// such as all-MiniLM-L6-v2) loads with `hasHead` false and the head initialised from
    /// `headSeed` as HuggingFace would; callers decide whether that is acceptable.
    public static func load(_ folder: CheckpointFolder, headSeed: UInt64 = 0) throws -> (model: BertModel, hasHead: Bool) {
        let params = BertParameters(config: folder.config)
        params.initialiseRandomly(seed: headSeed)
        let loaded = try params.load(from: folder.weights)
        if !loaded.loadedClassifier { params.initialiseClassifier(seed: headSeed) }
        return (BertModel(params: params), loaded.loadedClassifier)
    }
}
