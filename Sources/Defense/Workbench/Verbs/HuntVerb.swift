/// `hunt ...`: looks for the trigger on the current variant with the defender's clean pool.
struct HuntVerb: Verb {
    static let verb = "hunt"
    static let usage = "hunt [top=20] [combine=4] [sentences=400] [threshold=0.9] [control=fine-tuned|none]"
    static let summary = "hunt for the trigger: insert E-PUR's top tokens and their phrases into clean sentences the model gets right and count the flips to each label, against a control model fine-tuned from the pre-trained weights on the same sentences; the suspect estimates ASR until a trigger is named"
    static let options = ["top", "combine", "sentences", "threshold", "control"]
    static let arguments = 0...0

    var options: TriggerHunt.Options

    init(_ c: Command) throws {
        let d = TriggerHunt.Options()
        options = TriggerHunt.Options(top: try c.int("top", default: d.top, in: 1...10_000),
                                      combine: try c.int("combine", default: d.combine, in: 0...20),
                                      sentences: try c.int("sentences", default: d.sentences, in: 1...1_000_000),
                                      threshold: try c.double("threshold", default: d.threshold, in: 0.01...1),
                                      control: try HuntControl.parse(c.choice("control", default: HuntControl.kinds[0], from: HuntControl.kinds),
                                                                     option: "hunt control="))
    }

    /// Hunts on the current variant with the defender's clean pool (clean set and held-out).
    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let pre = try s.requirePre()
        let v = try s.requireCurrent()
        let d = try s.requireData()
        let model = try s.materialise(v)
        let (report, epur) = try TriggerHunt.run(pre: pre.weights, victim: model, victimWeights: v.weights, tokenizer: s.tokenizer(),
                                                 clean: d.clean + d.heldOut, maxLength: d.maxLength, options: options,
                                                 events: events, cancel: cancel)
        s.hunt = report
        s.huntedVariant = v.name
        if s.epurReport == nil { s.epurReport = epur }
        var results = ["candidates": Double(report.candidates.count), "suspected": report.verdict.suspected ? 1 : 0]
        if let top = HuntSummary.shown(report) {
            results["top_flip_rate"] = top.flipRate
            if let c = top.controlFlipRate { results["top_control_flip_rate"] = c }
        }
        let extra = s.poison == nil && report.suspect != nil ? "; ASR is now estimated with it until a trigger is named" : ""
        return Session.Outcome(message: "hunt on \(v.name): \(report.verdict.text)\(extra)", results: results)
    }
}
