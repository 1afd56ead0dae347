import Foundation

/// Loading, inspecting, mixing, purifying and moving between variants.
extension Session {
    func load(_ c: Command, events: EventSink) throws -> Outcome {
        let role = c.arguments[0]
        let url = try resolveModelPath(c.arguments[1], events: events)
        let folder = try CheckpointFolder(url)
        try folder.requireFiniteWeights()
        switch role {
        case "pre":
            if let v = victim { try checkCompatible(pre: folder.config, victim: v.config, victimPath: "the victim") }
            pre = folder
            preName = c.arguments[1] == "minilm" ? "all-MiniLM-L6-v2" : url.lastPathComponent
            drift = nil
            return Outcome(message: "pre-trained: \(preName) (\(folder.config.numHiddenLayers) layers, hidden \(folder.config.hiddenSize))")
        case "victim":
            if let pre {
                try CheckpointFolder.checkSameVocabulary(pre: pre, victim: folder)
                try checkCompatible(pre: pre.config, victim: folder.config, victimPath: url.path)
            }
            guard folder.hasHead else {
                throw FinemixError("\(url.path): no classifier head (classifier.weight); a fine-tuned classifier is expected as the victim")
            }
            let v = Variant(name: "victim", recipe: ["load victim \(Command.quote(url.path))"], weights: folder.weights,
                            config: folder.config)
            victim = v
            variants.removeAll()
            undoStack.removeAll()
            adopt(v)
            drift = nil
            epurReport = nil
            if let record = try? AttackRecord.read(folder: url) {
                poison = record.recipe.poison
                events(.log(.info, "attack.json: trigger \(record.recipe.trigger), target \(record.recipe.target)"))
            }
            return Outcome(message: "victim: \(url.lastPathComponent)")
        default:
            throw FinemixError("load: the role must be pre or victim, found '\(role)'")
        }
    }

    func checkCompatible(pre: BertConfig, victim: BertConfig, victimPath: String) throws {
        let pairs: [(String, Int, Int)] = [
            ("hidden_size", pre.hiddenSize, victim.hiddenSize),
            ("num_hidden_layers", pre.numHiddenLayers, victim.numHiddenLayers),
            ("vocab_size", pre.vocabSize, victim.vocabSize),
            ("intermediate_size", pre.intermediateSize, victim.intermediateSize),
        ]
        for (key, a, b) in pairs where a != b {
            throw FinemixError("\(victimPath): \(key) is \(b) but the pre-trained model has \(a); the victim must be fine-tuned from this pre-trained model")
        }
    }

    /// Odd, so Δ = 0 has a bin of its own in the middle of the drill-down's histogram.
    static let histogramBins = 41

    func inspect(_ c: Command, events: EventSink) throws -> Outcome {
        let pre = try requirePre()
        let v = try requireCurrent()
        let top = try c.int("top", default: 20, in: 1...100_000)
        let vocabulary = try Drift.vocabularyLines(pre.vocabURL)
        let report = try Drift.report(pre: pre.weights, victim: v.weights, vocabulary: vocabulary,
                                      options: Drift.Options(topTokens: top, histogramBins: Session.histogramBins))
        drift = report
        let most = report.layers.compactMap { l in l.relL2.map { (l.name, $0) } }.max { $0.1 < $1.1 }
        return Outcome(message: "drift of \(v.name): \(report.tensors.count) tensors; most moved: \(most.map { "\($0.0) \(String(format: "%.4f", $0.1))" } ?? "none")",
                       results: ["max_layer_rel_l2": most?.1 ?? 0])
    }

    func mix(_ c: Command, events: EventSink) throws -> Outcome {
        guard let rho = Double(c.arguments[0]), (0...1).contains(rho) else {
            throw FinemixError("mix: ρ must be a number in [0, 1], found '\(c.arguments[0])'")
        }
        let pre = try requirePre()
        let v = try requireCurrent()
        let select = try mixSelection(c)
        let head = try MixSpec.Head(rawValue: c.choice("head", default: "keep", from: MixSpec.Head.allCases.map(\.rawValue)))!
        let seed = UInt64(try c.int("seed", default: 1, in: 0...Int.max))
        let spec = layerRho.isEmpty
            ? MixSpec(rho: rho, select: select, seed: seed, head: head)
            : MixSpec.perLayer(layerRho, default: rho, select: select, seed: seed, head: head)
        // Moving the slider re-mixes the model the last mix was taken of, never a mix of a mix.
        let base = v.mixBase ?? MixBase(name: v.name, recipe: v.recipe, weights: v.weights, config: v.config)
        let mixed = try MixedWeights(pre: pre.weights, victim: base.weights, spec: spec)
        // Per-layer ρ is part of what the mix is: in its name and, as the `rho` lines that set
        // it, in its recipe (reports print the recipe; replaying it gives the same mix).
        let overridden = layerRho.keys.sorted { LayerGroups.sortKey($0) < LayerGroups.sortKey($1) }
        let label = "mix \(fmt(rho))" + (overridden.isEmpty ? ""
            : " (" + overridden.map { "\($0) \(fmt(layerRho[$0]!))" }.joined(separator: ", ") + ")")
        let rhoSteps = overridden.map { "rho \(Command.quote($0)) \(fmt(layerRho[$0]!))" }
        var out = Variant(name: uniqueName(base.name == "victim" ? label : "\(base.name) + \(label)"),
                          recipe: base.recipe + rhoSteps + [c.description], weights: mixed, config: base.config)
        out.mix = spec
        out.mixBase = base
        adopt(out)
        return Outcome(message: "\(out.name): keeps \(fmt(rho)) of \(base.name)'s weights (\(select.rawValue), seed \(seed))",
                       results: ["rho": rho])
    }

    func setLayerRho(_ c: Command) throws -> Outcome {
        let layer = c.arguments[0]
        guard let value = Double(c.arguments[1]), (0...1).contains(value) else {
            throw FinemixError("rho: the value must be a number in [0, 1], found '\(c.arguments[1])'")
        }
        let pre = try requirePre()
        let known = Set(pre.weights.tensorNames.map(LayerGroups.group(of:)))
            .sorted { LayerGroups.sortKey($0) < LayerGroups.sortKey($1) }
        guard known.contains(layer) else {
            throw FinemixError("rho: unknown layer '\(layer)'; layers: \(known.joined(separator: ", "))")
        }
        layerRho[layer] = value
        return Outcome(message: "ρ[\(layer)] = \(fmt(value)) (the next mix is per layer)")
    }

    func purify(_ c: Command, events: EventSink) throws -> Outcome {
        let pre = try requirePre()
        let v = try requireCurrent()
        let d = try requireData()
        let options = EPUR.Options(top: try c.int("top", default: 200, in: 0...10_000_000),
                                   fmin: try c.int("fmin", default: 20, in: 2...Int(Int32.max)))
        let corpus = c.options["corpus"].map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
        let tokenizer = try BertTokenizer(vocabURL: pre.vocabURL)
        let report = try EPUR.run(pre: pre.weights, victim: v.weights, tokenizer: tokenizer,
                                  clean: EPUR.texts(d.clean), corpus: corpus, options: options)
        var rows = report.ids
        if let picked = c.options["reset"] {
            // The analyst's own choice of rows (the E-PUR pane's toggles); the ranking stays for display.
            rows = try picked.split(separator: ",").map { word in
                guard let id = tokenizer.vocab.id(String(word)) else {
                    throw FinemixError("epur: reset=\(picked): '\(word)' is not a token of the vocabulary")
                }
                return Int(id)
            }
        }
        let purified = try PurifiedWeights(base: v.weights, pre: pre.weights, rows: rows)
        var out = Variant(name: uniqueName("\(v.name) + E-PUR"), recipe: v.recipe + [c.description],
                          weights: purified, config: v.config)
        out.epur = report
        epurReport = report
        adopt(out)
        let shown = report.tokens.prefix(5).map(\.token).joined(separator: " ")
        return Outcome(message: "E-PUR reset \(rows.count) rows; top: \(shown)",
                       results: ["rows": Double(rows.count)])
    }

    func select(_ c: Command) throws -> Outcome {
        let name = c.arguments[0]
        if name == "pre" {
            let pre = try requirePre()
            guard let head = victim else { throw FinemixError("variant pre: load a victim first (its head is needed)") }
            // the pre-trained encoder with the victim's head: ρ = 0 without fine-tuning
            let mixed = try MixedWeights(pre: pre.weights, victim: head.weights, spec: MixSpec(rho: 0))
            adopt(Variant(name: "pre", recipe: ["mix 0"], weights: mixed, config: head.config))
            return Outcome(message: "current: pre-trained encoder with the victim's head")
        }
        guard let v = variants.first(where: { $0.name == name }) else {
            throw FinemixError("variant: no variant named '\(name)'; variants: \(variants.map(\.name).joined(separator: ", "))")
        }
        adopt(v, record: false)
        return Outcome(message: "current: \(v.name)")
    }

    func undo() throws -> Outcome {
        guard let previous = undoStack.popLast() else { throw FinemixError("undo: nothing to undo") }
        current = previous
        return Outcome(message: "current: \(previous.name)")
    }

    func save(_ c: Command, events: EventSink) throws -> Outcome {
        let v = try requireCurrent()
        let vocab = try (pre ?? CheckpointFolder(resolveModelPath("minilm", events: events))).vocabURL
        let url = URL(fileURLWithPath: (c.arguments[0] as NSString).expandingTildeInPath, isDirectory: true)
        try CheckpointFolder.save(config: v.config, vocab: vocab, source: v.weights, names: v.weights.tensorNames, to: url,
                                  metadata: ["finemix_recipe": v.recipe.joined(separator: " | ")])
        return Outcome(message: "saved \(v.name) to \(url.path)")
    }
}

func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
