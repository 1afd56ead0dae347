import Foundation

/// `attack ...`: plants a backdoor on the session's split and loads the result as the victim.
struct AttackVerb: Verb {
    static let verb = "attack"
    static let usage = "attack [trigger=word:cf,mn,bb,tq,mb] [rate=0.1] [target=1] [epochs=3] [lr=5e-5] [batch=32] [precision=fp32|bf16|auto] [fresh=TAG]"
    static let summary = "plant a backdoor on the data's split (its seed): fine-tune the pre-trained model on poisoned data; training's products in fp32, bf16 or auto (bf16 where its products run faster than fp32's here, timed once; docs/bf16.md); cached by recipe (fresh=TAG retrains); the result becomes the victim"
    static let options = ["trigger", "rate", "target", "epochs", "lr", "batch", "precision", "fresh"]
    static let arguments = 0...0

    var trigger: Trigger
    var rate: Double
    /// Checked against the dataset's labels when the attack runs.
    var target: Int
    var epochs: Int
    var lr: Double
    var batch: Int
    /// nil: `auto`, resolved when the attack runs (timed, so never while a script is checked).
    var precision: Precision?
    var fresh: String

    init(_ c: Command) throws {
        trigger = try Trigger.parse(c.options["trigger"] ?? Trigger.default.description)
        rate = try c.double("rate", default: 0.1, in: 0...1)
        target = try c.int("target", default: 1, in: 0...Int.max)
        epochs = try c.int("epochs", default: 3, in: 1...1000)
        lr = try c.double("lr", default: 5e-5, in: 1e-8...1)
        batch = try c.int("batch", default: 32, in: 1...4096)
        fresh = c.options["fresh"] ?? ""
        switch try c.choice("precision", default: "fp32", from: ["fp32", "bf16", "auto"]) {
        case "bf16": try Precision.bf16.requireSupported(); precision = .bf16
        case "auto": precision = nil
        default: precision = .fp32
        }
    }

    /// Trains the victim on the session's split (its seed is the data's), caching it in the
    /// workspace by recipe so the demo reaches its first screen in seconds the second time.
    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let pre = try s.requirePre()
        let d = try s.requireData()
        guard target < d.dataset.numLabels else {
            throw FinemixError("attack: target=\(target) is outside 0...\(d.dataset.numLabels - 1)")
        }
        let folder = try plant(pre: pre, data: d, on: s, events: events, cancel: cancel)
        let record = try AttackRecord.read(folder: folder)
        let loaded = try LoadVerb.run(Command(verb: "load", arguments: ["victim", folder.path]), on: s, events: events, cancel: cancel)
        s.poison = record.recipe.poison
        if var v = s.current {
            v.recipe = [c.description]
            v.metrics = EvaluationResult(acc: record.acc, asr: record.asr, nTest: record.nTest, nCorrect: record.nCorrect,
                                         nPoisonedTest: record.nAsr, nPoisonedToTarget: record.nAsrToTarget, targetLabel: record.recipe.target)
            s.replaceCurrent(v)
        }
        events(.metric(series: .acc, step: 0, value: record.acc))
        events(.metric(series: .asr, step: 0, value: record.asr))
        let how = record.recipe.precision == .bf16 ? " in BF16" : ""
        return Session.Outcome(message: "victim planted (\(trigger))\(how): ACC \(pct(record.acc)), ASR \(pct(record.asr))",
                               results: ["acc": record.acc, "asr": record.asr], inputs: loaded.inputs)
    }

    /// The victim's folder under `<workspace>/victims/<recipe key>`: trained and written there
    /// unless an earlier attack with this recipe left it.
    private func plant(pre: CheckpointFolder, data d: SessionData, on s: Session, events: EventSink,
                       cancel: CancellationFlag) throws -> URL {
        let products: Precision
        if let precision { products = precision } else {
            products = PrecisionSpeed.here.precision
            events(.log(.info, "precision=auto: \(PrecisionSpeed.here)"))
        }
        let recipe = FineTuneRecipe(epochs: epochs, lr: lr, batch: batch, maxLength: d.maxLength, seed: d.split.spec.seed,
                                    precision: products.recorded)
        let request = AttackRequest(pretrained: pre.url, dataset: d.dataset, trigger: trigger,
                                    poisonRate: rate, target: target,
                                    trainSize: d.split.spec.trainSize, cleanSize: d.split.spec.cleanPoolSize,
                                    testSize: d.split.spec.testSize, recipe: recipe)
        let key = VictimCache.key([pre.url.standardizedFileURL.path, d.dataset.name, "\(d.split.spec)", "\(request.poisonRate)",
                                   "\(request.target)", trigger.description, recipe.cacheText, fresh])
        let folder = s.workspace.appendingPathComponent("victims/\(key)", isDirectory: true)
        if try VictimCache.plant(request, into: folder, events: events, cancel: cancel) {
            events(.log(.info, "using the victim planted earlier with this recipe: \(folder.path)"))
        }
        return folder
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        names.newVictim()
        return nil
    }
}
