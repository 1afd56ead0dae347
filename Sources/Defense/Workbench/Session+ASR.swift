import Foundation

/// The trigger ASR is measured with (the known one, else the hunt's suspect) and its test set.
extension Session {
    /// The trigger ASR is measured with: the known one (planted, recorded or named), else the
    /// hunt's suspect (estimated); nil when there is neither.
    public var asrBasis: ASRBasis? {
        if let poison { return ASRBasis(trigger: poison.trigger, target: poison.targetLabel, estimated: false) }
        if let s = hunt?.suspect { return ASRBasis(trigger: s.trigger, target: s.target, estimated: true) }
        return nil
    }

    /// The poisoning that builds the ASR set: the known one, or the suspect's with the same seed rule.
    var asrConfig: PoisonConfig? {
        if let poison { return poison }
        guard let b = asrBasis else { return nil }
        return PoisonConfig(trigger: b.trigger, rate: 0, targetLabel: b.target, seed: 1)
    }

    /// The test set with the trigger inserted, for ASR (the hunt's suspect when no trigger is
    /// known; `asrBasis` says which); nil when there is neither.
    func asrSet() throws -> [Example]? {
        guard let config = asrConfig, let data else { return nil }
        return try Poisoner.asrTestSet(data.split.test, config: config, numLabels: data.dataset.numLabels)
    }
}
