import Foundation

/// Issue 19: the same attack planted on other splits, so that a table's ± can include what a
/// defender does not control: which victim and which split it came from. One seed in a victim's
/// recipe drives its split, its poisoned sentences, its fresh head and its shuffles, so changing
/// only that seed plants the same attack on another split of the same data.
public enum SplitVictims {
    /// The request that re-plants `record`'s attack over `pretrained` with split seed `splitSeed`.
    public static func request(like record: AttackRecord, pretrained: URL, splitSeed: UInt64, cache: ResourceCache) throws -> AttackRequest {
        let r = record.recipe
        if let from = r.ep?.from {
            throw FinemixError("--split-seeds: this EP victim was trained from the clean model \(from), which belongs to split seed \(r.seed) only; plant it without --from so each split gets its own clean model")
        }
        let data = try Datasets.load(record.dataset, options: record.readOptions ?? ReadOptions(), cache: cache)
        var fineTune = r.fineTune
        fineTune.seed = splitSeed
        return AttackRequest(pretrained: pretrained, dataset: data, readOptions: record.readOptions, trigger: r.trigger,
                             poisonRate: r.poisonRate, target: r.target, trainSize: r.trainSize, cleanSize: r.cleanSize,
                             testSize: r.testSize, recipe: fineTune,
                             epEpochs: r.ep?.epochs ?? VictimTraining.defaultEPEpochs, epLR: r.ep?.lr ?? VictimTraining.defaultEPLR)
    }

    /// The victim of `request` in `<workspace>/victims/split-<key>`, planted the first time and
    /// reused after: a folder per recipe, named by a hash of everything that shapes the victim.
    public static func plant(_ request: AttackRequest, workspace: URL, events: EventSink = { _ in },
                             cancel: CancellationFlag? = nil) throws -> (folder: URL, reused: Bool) {
        let key = VictimCache.key([request.pretrained.standardizedFileURL.path, request.dataset.name, "\(request.splitSpec)",
                                   "\(request.poisonRate)", "\(request.target)", request.trigger.description, request.recipe.cacheText,
                                   "ep \(request.epEpochs) \(request.epLR)"])
        let folder = workspace.appendingPathComponent("victims/split-\(key)", isDirectory: true)
        return (folder, try VictimCache.plant(request, into: folder, events: events, cancel: cancel))
    }
}

/// The workspace's planted victims: one folder per attack recipe, reused when asked again.
public enum VictimCache {
    /// FNV-1a over the recipe's parts: a stable folder name, not a security measure.
    public static func key(_ parts: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "\u{1F}").utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }

    /// A folder holds a finished victim when its attack record and its checkpoint both read.
    public static func isComplete(_ folder: URL) -> Bool {
        (try? AttackRecord.read(folder: folder)) != nil && (try? CheckpointFolder(folder)) != nil
    }

    /// Plants `request` into `folder` (the workspace's, replaced through a temporary folder and a
    /// rename) unless a finished victim is already there; true when it was reused.
    public static func plant(_ request: AttackRequest, into folder: URL, events: EventSink = { _ in },
                             cancel: CancellationFlag? = nil) throws -> Bool {
        if isComplete(folder) { return true }
        let outcome = try VictimTraining.attack(request, events: events, cancel: cancel)
        let pre = try CheckpointFolder(request.pretrained)
        try OutputFolder(path: folder.path, command: "attack", force: true, forceFlag: nil,
                         inputs: [(what: "the pre-trained model", url: request.pretrained)]).write { tmp in
            try CheckpointFolder.save(config: outcome.model.config, vocab: pre.vocabURL, tensors: outcome.model.params.export(), to: tmp)
            try outcome.record.write(folder: tmp)
        }
        return false
    }
}
