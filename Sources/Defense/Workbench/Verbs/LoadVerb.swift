import Foundation

/// `load pre|victim PATH|minilm`: a pre-trained or suspicious checkpoint folder.
struct LoadVerb: Verb {
    static let verb = "load"
    static let usage = "load pre|victim PATH|minilm"
    static let summary = "load a pre-trained or suspicious checkpoint folder (minilm = the built-in pre-trained model)"
    static let options: [String] = []
    static let arguments = 2...2

    var role: String
    var path: String

    init(_ c: Command) throws {
        role = c.arguments[0]; path = c.arguments[1]
        guard role == "pre" || role == "victim" else {
            throw FinemixError("load: the role must be pre or victim, found '\(role)'")
        }
    }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let url = try s.resolveModelPath(path, events: events)
        // A LoRA adapter loaded as the victim merges over the loaded pre-trained model when its
        // own base_model_name_or_path is not a local folder.
        let folder = try CheckpointFolder(url, adapterBase: role == "victim" ? s.pre?.url : nil)
        try folder.requireFiniteWeights()
        // Every file the model is read from: each tokenizer file (checked unchanged here), and
        // each weight file (each shard; an adapter's files and its base's).
        _ = try folder.vocabURL
        let inputs = try ([folder.configURL] + folder.tokenizerFiles.present.map(\.url) + folder.weights.files).map(InputFingerprint.of)
        return role == "pre" ? try loadPre(folder, url: url, inputs: inputs, on: s)
            : try loadVictim(folder, url: url, inputs: inputs, on: s, events: events)
    }

    private func loadPre(_ folder: CheckpointFolder, url: URL, inputs: [InputFingerprint], on s: Session) throws -> Session.Outcome {
        if let v = s.victim { try s.checkCompatible(pre: folder.config, victim: v.config, victimPath: "the victim") }
        s.pre = folder
        s.loadedInputs["the pre-trained model"] = url
        s.preName = path == "minilm" ? "all-MiniLM-L6-v2" : url.lastPathComponent
        s.drift = nil
        return Session.Outcome(message: "pre-trained: \(s.preName) (\(folder.config.modelType), \(folder.config.numHiddenLayers) layers, hidden \(folder.config.hiddenSize))",
                               inputs: inputs)
    }

    /// A new victim starts the session's variants afresh; its attack.json (when finemix planted
    /// it) names the trigger and the data split.
    private func loadVictim(_ folder: CheckpointFolder, url: URL, inputs: [InputFingerprint], on s: Session,
                            events: EventSink) throws -> Session.Outcome {
        var inputs = inputs
        if let pre = s.pre {
            try CheckpointFolder.checkSameVocabulary(pre: pre, victim: folder)
            try s.checkCompatible(pre: pre.config, victim: folder.config, victimPath: url.path)
        }
        guard folder.hasHead else {
            throw FinemixError("\(url.path): no classifier head (classifier.weight); a fine-tuned classifier is expected as the victim")
        }
        let v = Variant(name: "victim", recipe: [Command(verb: "load", arguments: ["victim", url.path]).description], weights: folder.weights,
                        config: folder.config)
        s.victim = v
        s.victimFolder = folder
        s.victimOrigin = folder.origin == WeightFileChoice.safetensors.rawValue ? nil : folder.origin
        s.loadedInputs["the victim"] = url
        s.variants.removeAll()
        s.names.removeAll()
        s.undoStack.removeAll()
        s.adopt(v)
        s.drift = nil
        s.epurReport = nil
        s.hunt = nil
        s.huntedVariant = nil
        if let record = try? AttackRecord.read(folder: url) {
            inputs.append(try .of(url.appendingPathComponent(AttackRecord.fileName)))
            s.poison = record.recipe.poison
            events(.log(.info, "attack.json: trigger \(record.recipe.trigger), target \(record.recipe.target)"))
            // The data is a convenience: a recorded file that moved leaves the victim loaded.
            do { try s.useRecordedData(record, events: events) } catch {
                events(.log(.warning, "the data recorded in attack.json is not loaded (\(FinemixError.describing(error).message)); choose data with `data`"))
            }
        }
        return Session.Outcome(message: "victim: \(url.lastPathComponent)\(s.victimOrigin.map { " (\($0))" } ?? "")", inputs: inputs)
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        if role == "victim" { names.newVictim() }
        return nil
    }
}
