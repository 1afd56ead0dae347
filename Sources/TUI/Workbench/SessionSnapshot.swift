import Defense
import Foundation

/// Maps the session's state onto the panes' plain view models: drift report → Layers rows,
/// E-PUR report → tokens, variants → the table, sweep → the ρ chart.
public enum SessionSnapshot {
    public static func model(_ session: Session) -> WorkbenchModel {
        var m = WorkbenchModel()
        m.header = header(session)
        if let d = session.drift { m.layers = layers(d) }
        m.mixer.layers = mixerRows(m.layers, session)
        // The engine's defaults (N 200, f_min 20 occurrences) until a report exists.
        m.epur = session.epurReport.map { epur($0, trigger: session.poison?.trigger.description) } ?? EpurModel(top: 200, fMin: 20)
        m.variants = variants(session)
        m.sweep = session.sweep.map { TUI.SweepPoint(rho: $0.rho, acc: $0.acc, asr: $0.asr ?? 0) }
        if let p = session.lastProbe {
            m.probe = ProbeModel(sentence: p.text,
                                 predictions: p.rows.map { ProbePrediction(variant: $0.variant, label: "\($0.label)", confidence: $0.confidence) },
                                 resetTokens: p.flagged)
        }
        m.commands = Verbs.all.map { PaletteCommand(verb: $0.verb, usage: $0.usage, summary: $0.summary, options: $0.options) }
        return m
    }

    static func header(_ s: Session) -> HeaderInfo {
        HeaderInfo(pretrained: s.preName, victim: s.victim?.name ?? "", variant: s.current?.name ?? "",
                   cleanSize: s.data?.clean.count ?? 0, memoryMB: residentMB())
    }

    /// Resident set size from /proc (0 where there is none).
    static func residentMB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let parts = text.split(separator: " ")
        guard parts.count > 1, let pages = Int(parts[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / (1 << 20)
    }

    static func kind(_ group: String) -> LayerKind {
        if group.hasPrefix("embeddings") { return .embeddings }
        if group.contains("attention") { return .attention }
        if group.contains("ffn") { return .feedForward }
        if group.hasPrefix("pooler") { return .pooler }
        if group.hasPrefix("encoder") { return .feedForward }
        return .head
    }

    public static func layers(_ d: DriftReport) -> [LayerRow] {
        var byGroup: [String: [TensorDrift]] = [:]
        for t in d.tensors { byGroup[LayerGroups.group(of: t.name), default: []].append(t) }
        return d.layers.map { l in
            let ts = byGroup[l.name] ?? []
            let rows = ts.map { t in
                TensorRow(name: t.name, shape: t.shape, relL2: t.relL2, cosine: t.cosine, maxAbsDelta: t.maxAbs,
                          changedFraction: t.changedFrac, histogram: t.histogram ?? [],
                          histogramRange: -t.maxAbs...t.maxAbs)
            }
            let params = ts.reduce(0) { $0 + $1.shape.reduce(1, *) }
            return LayerRow(name: l.name, kind: kind(l.name), relL2: l.isNew ? nil : l.relL2, parameters: params, tensors: rows)
        }
    }

    /// Random selection keeps ρ of every layer's entries (and of its ‖Δ‖² in expectation), so the
    /// preview is linear; the table still shows which layers ρ acts on and their sizes.
    static func mixerRows(_ layers: [LayerRow], _ s: Session) -> [MixPreviewRow] {
        layers.filter { $0.relL2 != nil }.map { l in
            MixPreviewRow(name: l.name, parameters: l.parameters, rho: s.layerRho[l.name],
                          energyKept: (0...20).map { Double($0) / 20 })
        }
    }

    public static func epur(_ r: EPURReport, trigger: String?) -> EpurModel {
        let words = Set((trigger ?? "").split(whereSeparator: { ",: ".contains($0) }).map(String.init))
        let maxScore = r.tokens.first?.score ?? 0
        let tokens = r.tokens.enumerated().map { i, t in
            TokenRow(token: t.token, id: t.id, drift: t.drift, freq: Double(t.freq), score: t.score, selected: true,
                     candidate: words.contains(t.token) || (i < 5 && t.score >= 0.5 * maxScore))
        }
        return EpurModel(top: r.top, fMin: Double(r.fmin), tokens: tokens)
    }

    static func variants(_ s: Session) -> [VariantRow] {
        let ref = victimMetrics(s)
        return s.variants.map { v in
            let recipe = v.recipe
            let steps = recipe.map { String($0.split(separator: " ").first ?? "") }
            let method: String
            let hasMix = steps.contains("mix"), hasFT = steps.contains("finetune")
            if hasMix && hasFT { method = "Fine-mixing" }
            else if steps.contains("prune") && hasFT { method = "Fine-pruning" }
            else if hasFT { method = "Fine-tuning" }
            else if hasMix { method = "mix" }
            else if steps.contains("epur") { method = "E-PUR" }
            else if steps.contains("attack") { method = "victim" }
            else { method = steps.last ?? "loaded" }
            let seed = recipe.reversed().lazy.compactMap { line -> Int? in
                guard let r = line.range(of: "seed=") else { return nil }
                return Int(line[r.upperBound...].prefix { $0.isNumber })
            }.first ?? 0
            let acc = v.metrics?.acc, asr = v.metrics?.asr
            return VariantRow(name: v.name, method: method, acc: acc, asr: asr,
                              deltaAcc: v.name == s.victim?.name ? nil : zip2(acc, ref?.acc).map { $0 - $1 },
                              deltaAsr: v.name == s.victim?.name ? nil : zip2(asr, ref?.asr).map { $0 - $1 },
                              rho: v.mix.map { $0.rho }, epur: v.epur != nil || steps.contains("epur"),
                              cleanSize: hasFT ? (s.data?.clean.count ?? 0) : 0, steps: v.lossCurve.count, seed: seed,
                              seconds: v.seconds, current: v.name == s.current?.name)
        }
    }

    /// The victim's ACC/ASR: the recorded variant carries them (attack, eval), the loaded copy may not.
    public static func victimMetrics(_ s: Session) -> EvaluationResult? {
        s.variants.first { $0.name == s.victim?.name }?.metrics ?? s.victim?.metrics
    }

    static func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
        guard let a, let b else { return nil }
        return (a, b)
    }
}
