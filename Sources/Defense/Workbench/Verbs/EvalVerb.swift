/// `eval`: ACC and ASR of the current variant on the test split.
struct EvalVerb: Verb {
    static let verb = "eval"
    static let usage = "eval"
    static let summary = "measure ACC and ASR of the current variant on the test split"
    static let options: [String] = []
    static let arguments = 0...0

    init(_ c: Command) {}

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        var v = try s.requireCurrent()
        let d = try s.requireData()
        let model = try s.materialise(v)
        events(.progress(job: "eval", fraction: 0, detail: "evaluating \(v.name) on \(d.split.test.count) test sentences"))
        var result = try Evaluator.evaluate(model: model, tokenizer: s.tokenizer(), test: d.split.test, asrSet: s.asrSet() ?? [],
                                            targetLabel: s.asrConfig?.targetLabel, maxLength: d.maxLength)
        try cancel.check()
        let basis = s.asrBasis
        if result.asr != nil { result.asrBasis = basis }
        v.metrics = result
        s.replaceCurrent(v)
        var results = ["acc": result.acc]
        if let asr = result.asr { results["asr"] = asr }
        let asrText = result.asr.map { "\(basis?.label ?? "ASR") \(pct($0)) (\(basis?.trigger.description ?? "?"))" }
            ?? "ASR unknown (no trigger named or suspected: hunt looks for one)"
        if basis?.estimated == true { results["asr_estimated"] = 1 }
        return Session.Outcome(message: "\(v.name): ACC \(pct(result.acc)), \(asrText)", results: results)
    }
}
