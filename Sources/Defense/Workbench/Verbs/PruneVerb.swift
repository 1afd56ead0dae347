/// `prune [ratio=0.3]`: Fine-pruning's pruning step.
struct PruneVerb: Verb {
    static let verb = "prune"
    static let usage = "prune [ratio=0.3]"
    static let summary = "Fine-pruning's pruning step: zero the least active feed-forward neurons on the clean set"
    static let options = ["ratio"]
    static let arguments = 0...0

    var ratio: Double

    init(_ c: Command) throws { ratio = try c.double("ratio", default: 0.3, in: 0...0.99) }

    /// Prunes the current variant; the mask rides with the variant so a following `finetune`
    /// keeps the pruned neurons at zero.
    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let v = try s.requireCurrent()
        let d = try s.requireData()
        let model = try s.materialise(v)
        let result = try FinePruning.prune(model: model, tokenizer: s.tokenizer(), clean: d.clean, ratio: ratio, maxLength: d.maxLength)
        var out = Variant(name: s.uniqueName(VariantNames.prune(of: v.name, ratio: ratio)), recipe: v.recipe + [c.description],
                          weights: TensorDictionary(model.params.export()), config: model.config)
        out.pruneMask = result.mask
        s.adopt(out)
        return Session.Outcome(message: "\(out.name): \(result.perLayer) of \(model.config.intermediateSize) feed-forward neurons pruned per layer",
                               results: ["ratio": ratio])
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        names.derive { VariantNames.prune(of: $0, ratio: ratio) }
        return nil
    }
}
