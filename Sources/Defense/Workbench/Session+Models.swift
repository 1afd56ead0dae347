import Foundation

/// Loading, inspecting, mixing, purifying and moving between variants.
extension Session {
    func load(_ c: Command, events: EventSink) throws -> Outcome {
        let a = try LoadArguments(c)
        let url = try resolveModelPath(a.path, events: events)
        // A LoRA adapter loaded as the victim merges over the loaded pre-trained model when its
        // own base_model_name_or_path is not a local folder.
        let folder = try CheckpointFolder(url, adapterBase: a.role == "victim" ? pre?.url : nil)
        try folder.requireFiniteWeights()
        // Every file the model is read from: each tokenizer file (checked unchanged here), and
        // each weight file (each shard; an adapter's files and its base's).
        _ = try folder.vocabURL
        var inputs = try ([folder.configURL] + folder.tokenizerFiles.present.map(\.url) + folder.weights.files).map(InputFingerprint.of)
        switch a.role {
        case "pre":
            if let v = victim { try checkCompatible(pre: folder.config, victim: v.config, victimPath: "the victim") }
            pre = folder
            loadedInputs["the pre-trained model"] = url
            preName = a.path == "minilm" ? "all-MiniLM-L6-v2" : url.lastPathComponent
            drift = nil
            return Outcome(message: "pre-trained: \(preName) (\(folder.config.modelType), \(folder.config.numHiddenLayers) layers, hidden \(folder.config.hiddenSize))",
                           inputs: inputs)
        case "victim":
            if let pre {
                try CheckpointFolder.checkSameVocabulary(pre: pre, victim: folder)
                try checkCompatible(pre: pre.config, victim: folder.config, victimPath: url.path)
            }
            guard folder.hasHead else {
                throw FinemixError("\(url.path): no classifier head (classifier.weight); a fine-tuned classifier is expected as the victim")
            }
            let v = Variant(name: "victim", recipe: [Command(verb: "load", arguments: ["victim", url.path]).description], weights: folder.weights,
                            config: folder.config)
            victim = v
            victimFolder = folder
            victimOrigin = folder.origin == WeightFileChoice.safetensors.rawValue ? nil : folder.origin
            loadedInputs["the victim"] = url
            variants.removeAll()
            names.removeAll()
            undoStack.removeAll()
            adopt(v)
            drift = nil
            epurReport = nil
            hunt = nil
            huntedVariant = nil
            if let record = try? AttackRecord.read(folder: url) {
                inputs.append(try .of(url.appendingPathComponent(AttackRecord.fileName)))
                poison = record.recipe.poison
                events(.log(.info, "attack.json: trigger \(record.recipe.trigger), target \(record.recipe.target)"))
                // The data is a convenience: a recorded file that moved leaves the victim loaded.
                do { try useRecordedData(record, events: events) } catch {
                    events(.log(.warning, "the data recorded in attack.json is not loaded (\(FinemixError.describing(error).message)); choose data with `data`"))
                }
            }
            return Outcome(message: "victim: \(url.lastPathComponent)\(victimOrigin.map { " (\($0))" } ?? "")", inputs: inputs)
        default:
            throw FinemixError("load: the role must be pre or victim, found '\(a.role)'")
        }
    }

    func checkCompatible(pre: BertConfig, victim: BertConfig, victimPath: String) throws {
        try CheckpointFolder.checkSameFamily(pre: pre, victim: victim, prePath: "the pre-trained model", victimPath: victimPath)
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
        let top = try InspectArguments(c).top
        let vocabulary = try Drift.vocabularyLines(pre.vocabURL)
        let report = try Drift.report(pre: pre.weights, victim: v.weights, vocabulary: vocabulary,
                                      options: Drift.Options(topTokens: top, histogramBins: Session.histogramBins))
        drift = report
        let most = report.layers.compactMap { l in l.relL2.map { (l.name, $0) } }.max { $0.1 < $1.1 }
        return Outcome(message: "drift of \(v.name): \(report.tensors.count) tensors; most moved: \(most.map { "\($0.0) \(String(format: "%.4f", $0.1))" } ?? "none")",
                       results: ["max_layer_rel_l2": most?.1 ?? 0])
    }

    func mix(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        let a = try MixArguments(c)
        guard let rho = a.rho else { return try mixAuto(c, events: events, cancel: cancel) }
        let (select, seed, head) = (a.select, a.seed, a.head)
        let pre = try requirePre()
        let v = try requireCurrent()
        let spec = layerRho.isEmpty
            ? MixSpec(rho: rho, select: select, seed: seed, head: head)
            : MixSpec.perLayer(layerRho, default: rho, select: select, seed: seed, head: head)
        // Moving the slider re-mixes the model the last mix was taken of, never a mix of a mix.
        let base = v.mixBase ?? MixBase(name: v.name, recipe: v.recipe, weights: v.weights, config: v.config)
        let mixed = try MixedWeights(pre: pre.weights, victim: base.weights, spec: spec, family: base.config.family ?? .bert)
        // Per-layer ρ is part of what the mix is: in its name and, as the `rho` lines that set
        // it, in its recipe (reports print the recipe; replaying it gives the same mix).
        let rhoSteps = VariantNames.layerOrder(layerRho).map { Command(verb: "rho", arguments: [$0, fmt(layerRho[$0]!)]).description }
        var out = Variant(name: uniqueName(VariantNames.mix(of: base.name, rho: rho, layers: layerRho)),
                          recipe: base.recipe + rhoSteps + [c.description], weights: mixed, config: base.config)
        out.mix = spec
        out.mixBase = base
        adopt(out)
        return Outcome(message: "\(out.name): keeps \(fmt(rho)) of \(base.name)'s weights (\(select.rawValue), seed \(seed))",
                       results: ["rho": rho])
    }

    func setLayerRho(_ c: Command) throws -> Outcome {
        let a = try RhoArguments(c)
        let (layer, value) = (a.layer, a.value)
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
        let a = try EpurArguments(c)
        let (options, corpus) = (a.options, a.corpus)
        let tokenizer = try Tokenizer(vocabURL: pre.vocabURL)
        let report = try EPUR.run(pre: pre.weights, victim: v.weights, tokenizer: tokenizer,
                                  clean: EPUR.texts(d.clean), corpus: corpus, options: options)
        var rows = report.ids
        if let picked = a.reset {
            // The analyst's own choice of rows (the E-PUR pane's toggles); the ranking stays for display.
            rows = try picked.map { word in
                guard let id = tokenizer.id(word) else {
                    throw FinemixError("epur: reset=\(c.options["reset"] ?? ""): '\(word)' is not a token of the vocabulary")
                }
                return Int(id)
            }
        }
        let purified = try PurifiedWeights(base: v.weights, pre: pre.weights, rows: rows)
        var out = Variant(name: uniqueName(VariantNames.epur(of: v.name)), recipe: v.recipe + [c.description],
                          weights: purified, config: v.config)
        out.epur = report
        epurReport = report
        adopt(out)
        let shown = report.tokens.prefix(5).map(\.token).joined(separator: " ")
        return Outcome(message: "E-PUR reset \(rows.count) rows; top: \(shown)",
                       results: ["rows": Double(rows.count)], inputs: try corpus.map { [try .of($0)] } ?? [])
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
        let output = try OutputFolder(path: c.arguments[0], command: "save", force: true, forceFlag: nil, inputs: protectedInputs)
        let vocab = try (pre ?? CheckpointFolder(resolveModelPath("minilm", events: events))).vocabURL
        try output.write { tmp in
            try CheckpointFolder.save(config: v.config, vocab: vocab, source: v.weights, names: v.weights.tensorNames, to: tmp,
                                      metadata: ["finemix_recipe": v.recipe.joined(separator: " | ")])
        }
        return Outcome(message: "saved \(v.name) to \(output.url.path)")
    }
}

func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
