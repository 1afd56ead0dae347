import Foundation

extension BertModel {
    /// The model stored in a checkpoint folder. A folder without a classifier head (a bare encoder
    /// such as all-MiniLM-L6-v2) loads with `hasHead` false and the head initialised from
    /// `headSeed` as HuggingFace would; callers decide whether that is acceptable.
    public static func load(_ folder: CheckpointFolder, headSeed: UInt64 = 0) throws -> (model: BertModel, hasHead: Bool) {
        let params = BertParameters(config: folder.config)
        let loaded = try params.load(from: folder.weights)
        if !loaded.loadedClassifier { params.initialiseClassifier(seed: headSeed) }
        // a checkpoint saved without the pooler gets a fresh one, as HuggingFace would give it
        if !loaded.loadedPooler { params.initialiseNormal("pooler.dense.weight", seed: headSeed &+ 1) }
        return (BertModel(params: params), loaded.loadedClassifier)
    }
}
