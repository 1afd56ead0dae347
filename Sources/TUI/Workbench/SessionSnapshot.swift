import Defense
import Foundation

/// Maps the session's state onto the panes' plain view models: drift report → Layers rows,
/// E-PUR report → tokens, variants → the table, sweep → the ρ chart.
public enum SessionSnapshot {
    /// `energy`: the measured ‖Δ‖² curves of the model the next mix is taken of (nil until measured).
    public static func model(_ session: Session, energy: EnergyKept? = nil) -> WorkbenchModel {
        var m = WorkbenchModel()
        m.header = header(session)
        if let d = session.drift { m.layers = layers(d, family: session.pre?.config.family ?? .bert) }
        m.mixer.layers = mixerRows(m.layers, energy)
        m.mixer.applied = session.current?.mix.map(knobs)
        // The engine's defaults (N 200, f_min 20 occurrences) until a report exists.
        m.epur = session.epurReport.map { epur($0, trigger: session.poison?.trigger.description, session) } ?? EpurModel(top: 200, fMin: 20)
        m.variants = variants(session)
        m.sweep = session.sweep
        if let p = session.lastProbe {
            m.probe = ProbeModel(sentence: p.text,
                                 predictions: p.rows.map { ProbePrediction(variant: $0.variant, label: "\($0.label)", confidence: $0.confidence) },
                                 resetTokens: p.flagged)
        }
        m.commands = Verbs.all.map { PaletteCommand(verb: $0.verb, usage: $0.usage, summary: $0.summary, options: $0.options) }
        return m
    }

    static func header(_ s: Session) -> HeaderInfo {
        // the family beside the model's name: what the whole workbench computes with
        HeaderInfo(pretrained: s.pre.map { "\(s.preName) (\($0.config.modelType))" } ?? s.preName,
                   victim: (s.victim?.name ?? "") + (s.victimOrigin.map { " (\($0))" } ?? ""), variant: s.current?.name ?? "",
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

    /// Rows named as the family names its layers (DistilBERT's transformer.layer.N, RoBERTa's
    /// classifier.dense); the kind and the mixer keep the engine's canonical group names.
    public static func layers(_ d: DriftReport, family: ModelFamily = .bert) -> [LayerRow] {
        var byGroup: [String: [TensorDrift]] = [:]
        for t in d.tensors { byGroup[LayerGroups.group(of: t.name), default: []].append(t) }
        return d.layers.map { l in
            let ts = byGroup[l.name] ?? []
            let rows = ts.map { t in
                TensorRow(name: family.displayName(t.name), shape: t.shape, relL2: t.relL2, cosine: t.cosine, maxAbsDelta: t.maxAbs,
                          changedFraction: t.changedFrac, histogram: t.histogram ?? [],
                          histogramRange: -t.maxAbs...t.maxAbs)
            }
            let params = ts.reduce(0) { $0 + $1.shape.reduce(1, *) }
            return LayerRow(name: family.displayName(l.name), kind: kind(l.name), relL2: l.isNew ? nil : l.relL2, parameters: params, tensors: rows)
        }
    }

    /// The layers ρ acts on, with the measured curves when there are some.
    static func mixerRows(_ layers: [LayerRow], _ energy: EnergyKept?) -> [MixPreviewRow] {
        layers.filter { $0.relL2 != nil }.map { l in
            MixPreviewRow(name: l.name, parameters: l.parameters, energyKept: energy?.layers[l.name] ?? [:])
        }
    }

    /// The knobs of the mix that made a variant, as the Mixer shows them.
    static func knobs(_ spec: MixSpec) -> MixKnobs {
        MixKnobs(rho: spec.rho, select: spec.select, seed: Int(clamping: spec.seed),
                 scope: spec.scope, layerRho: spec.layers)
    }

    /// The ranking, the variant E-PUR made from it and the rows that variant really reset (read
    /// from its weights: the reset list may differ from the ranking), and whether the analyst
    /// has since moved to another variant.
    public static func epur(_ r: EPURReport, trigger: String?, _ session: Session? = nil) -> EpurModel {
        let words = Set((trigger ?? "").split(whereSeparator: { ",: ".contains($0) }).map(String.init))
        let maxScore = r.tokens.first?.score ?? 0
        let tokens = r.tokens.enumerated().map { i, t in
            TokenRow(token: t.token, id: t.id, drift: t.drift, freq: Double(t.freq), score: t.score,
                     candidate: words.contains(t.token) || (i < 5 && t.score >= 0.5 * maxScore))
        }
        var out = EpurModel(top: r.top, fMin: Double(r.fmin), tokens: tokens)
        out.huntTargets = huntTargets(session?.hunt)
        if let session, let made = session.variants.last(where: { $0.epur == r }) {
            out.madeVariant = made.name
            out.rowsReset = (made.weights as? PurifiedWeights)?.rows.count
            out.stale = session.current?.name != made.name
        }
        return out
    }

    /// Each single-word candidate of the hunt and the label it turns sentences to.
    static func huntTargets(_ hunt: TriggerHunt.Report?) -> [String: Int] {
        var out: [String: Int] = [:]
        for c in hunt?.candidates ?? [] {
            if case .words(let w) = c.trigger, w.count == 1, out[w[0]] == nil { out[w[0]] = c.target }
        }
        return out
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
            let seed = recipe.reversed().lazy.compactMap(seed(of:)).first ?? 0
            let acc = v.metrics?.acc, asr = v.metrics?.asr
            var row = VariantRow(name: v.name, method: method, acc: acc, asr: asr,
                              deltaAcc: v.name == s.victim?.name ? nil : Metrics.change(acc, from: ref?.acc),
                              deltaAsr: v.name == s.victim?.name ? nil : Metrics.change(asr, from: ref?.asr),
                              rho: v.mix.map { $0.rho }, epur: v.epur != nil || steps.contains("epur"),
                              cleanSize: hasFT ? (s.data?.clean.count ?? 0) : 0, steps: v.lossCurve.count, seed: seed,
                              seconds: v.seconds, current: v.name == s.current?.name)
            row.asrEstimated = asr != nil && v.metrics?.asrBasis?.estimated == true
            return row
        }
    }

    /// The seed a recipe step ran with: its `seed=` or, for a verb that takes one, the engine's
    /// default (1), so a plain `finetune` shows the seed it used, not 0.
    static func seed(of line: String) -> Int? {
        guard let c = try? Verbs.parse(line),
              Verbs.spec(c.verb)?.options.contains("seed") == true else { return nil }
        return try? c.int("seed", default: 1)
    }

    /// The victim's ACC/ASR: the recorded variant carries them (attack, eval), the loaded copy may not.
    public static func victimMetrics(_ s: Session) -> EvaluationResult? {
        s.variants.first { $0.name == s.victim?.name }?.metrics ?? s.victim?.metrics
    }
}
