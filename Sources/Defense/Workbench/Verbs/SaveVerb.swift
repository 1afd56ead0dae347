/// `save PATH`: the current variant as a HuggingFace checkpoint folder.
struct SaveVerb: Verb {
    static let verb = "save"
    static let usage = "save PATH"
    static let summary = "save the current variant as a HuggingFace checkpoint folder"
    static let options: [String] = []
    static let arguments = 1...1

    var path: String

    init(_ c: Command) { path = c.arguments[0] }

    /// Never over a folder the session read (the workspace, the cache, a loaded model or data).
    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let v = try s.requireCurrent()
        let output = try OutputFolder(path: path, command: "save", force: true, forceFlag: nil, inputs: s.protectedInputs)
        let vocab = try (s.pre ?? CheckpointFolder(s.resolveModelPath("minilm", events: events))).vocabURL
        try output.write { tmp in
            try CheckpointFolder.save(config: v.config, vocab: vocab, source: v.weights, names: v.weights.tensorNames, to: tmp,
                                      metadata: ["finemix_recipe": v.recipe.joined(separator: " | ")])
        }
        return Session.Outcome(message: "saved \(v.name) to \(output.url.path)")
    }
}
