import Defense

// Plain view-model structs the panes draw from. The workbench session fills them (from drift
// reports, E-PUR rankings, training events, the journal); the TUI never reaches into the engine.

/// Header: what is loaded and what is running.
public struct HeaderInfo: Equatable, Sendable {
    public var pretrained: String
    public var victim: String
    public var variant: String
    public var cleanSize: Int
    public var memoryMB: Int

    public init(pretrained: String = "", victim: String = "", variant: String = "", cleanSize: Int = 0,
                memoryMB: Int = 0) {
        self.pretrained = pretrained
        self.victim = victim
        self.variant = variant
        self.cleanSize = cleanSize
        self.memoryMB = memoryMB
    }
}

/// What part of the network a row of the Layers pane is.
public enum LayerKind: String, Equatable, Sendable, CaseIterable {
    case embeddings, attention, feedForward = "ffn", pooler, head
}

/// One row of the Layers pane: aggregated drift of a layer between pre-trained and victim.
/// `relL2` is nil for parts with no pre-trained counterpart (the classifier head: "new").
public struct LayerRow: Equatable, Sendable {
    public var name: String
    public var kind: LayerKind
    public var relL2: Double?
    public var parameters: Int
    public var tensors: [TensorRow]

    public init(name: String, kind: LayerKind, relL2: Double?, parameters: Int, tensors: [TensorRow] = []) {
        self.name = name
        self.kind = kind
        self.relL2 = relL2
        self.parameters = parameters
        self.tensors = tensors
    }
}

/// One tensor in the drill-down of a layer.
public struct TensorRow: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var relL2: Double?
    public var cosine: Double?
    public var maxAbsDelta: Double?
    public var changedFraction: Double?
    /// Histogram of Δ over `histogramRange` in equal bins.
    public var histogram: [Int]
    public var histogramRange: ClosedRange<Double>

    public init(name: String, shape: [Int], relL2: Double?, cosine: Double?, maxAbsDelta: Double?,
                changedFraction: Double?, histogram: [Int] = [], histogramRange: ClosedRange<Double> = -1...1) {
        self.name = name
        self.shape = shape
        self.relL2 = relL2
        self.cosine = cosine
        self.maxAbsDelta = maxAbsDelta
        self.changedFraction = changedFraction
        self.histogram = histogram
        self.histogramRange = histogramRange
    }
}

/// The engine's rule, not a copy: the Mixer offers exactly what `mix select=` takes.
public typealias SelectionRule = MixSpec.Select
/// The engine's scope, not a copy: one ρ for all, or a ρ per layer (`rho LAYER VALUE`).
public typealias MixScope = MixSpec.Scope

/// The knobs of a mix: the arguments of the next `mix` (the Mixer pane's) or of the one that made
/// the current variant (the session's). `seed` defaults to the engine's own default (1).
public struct MixKnobs: Equatable, Sendable {
    public var rho: Double
    public var select: SelectionRule
    public var seed: Int
    public var scope: MixScope
    /// Per-layer ρ, used when `scope` is per layer; layers not named use `rho`.
    public var layerRho: [String: Double]

    public init(rho: Double = 0.3, select: SelectionRule = .random, seed: Int = 1, scope: MixScope = .global,
                layerRho: [String: Double] = [:]) {
        self.rho = rho
        self.select = select
        self.seed = seed
        self.scope = scope
        self.layerRho = layerRho
    }

    /// The ρ in force for a layer.
    public func rho(for layer: String) -> Double { scope == .layer ? (layerRho[layer] ?? rho) : rho }
}

/// What the session shows the Mixer: the layers ρ acts on with their preview curves, and the
/// knobs of the mix behind the current variant (nil when it is not a mix).
public struct MixerModel: Equatable, Sendable {
    public var layers: [MixPreviewRow]
    public var applied: MixKnobs?
    public var landscape: LandscapeModel

    public init(layers: [MixPreviewRow] = [], applied: MixKnobs? = nil, landscape: LandscapeModel = LandscapeModel()) {
        self.layers = layers
        self.applied = applied
        self.landscape = landscape
    }
}

/// The Mixer's ρ landscape: ACC and ASR against ρ for one selection and seed (the engine's
/// points), what is being computed, and which Fine-mixing points kept their model (Enter adopts
/// those without training again).
public struct LandscapeModel: Equatable, Sendable {
    public var points: [SweepPoint]
    public var select: SelectionRule
    public var seed: Int
    /// Test sentences behind the quick mixing-only points.
    public var probeSize: Int
    /// ρ of the Fine-mixing points whose trained model is kept.
    public var trained: Set<Int>
    /// The point under way: its ρ and whether it is Fine-mixing; `paused` while a command runs.
    public var computing: (rho: Double, fineMixing: Bool)?
    public var paused: Bool
    /// Why the background stopped, in one sentence (nil: it did not).
    public var problem: String?

    public init(points: [SweepPoint] = [], select: SelectionRule = .random, seed: Int = 1, probeSize: Int = 0, trained: Set<Int> = [],
                computing: (rho: Double, fineMixing: Bool)? = nil, paused: Bool = false, problem: String? = nil) {
        self.points = points; self.select = select; self.seed = seed; self.probeSize = probeSize; self.trained = trained
        self.computing = computing; self.paused = paused; self.problem = problem
    }

    public static func == (a: LandscapeModel, b: LandscapeModel) -> Bool {
        a.points == b.points && a.select == b.select && a.seed == b.seed && a.probeSize == b.probeSize && a.trained == b.trained
            && a.computing?.rho == b.computing?.rho && a.computing?.fineMixing == b.computing?.fineMixing && a.paused == b.paused
            && a.problem == b.problem
    }

    /// Whether the Fine-mixing point at ρ kept its model.
    public func isTrained(_ rho: Double) -> Bool { trained.contains(Int((rho * 100).rounded())) }
}

/// Per-layer preview row. `energyKept[rule][i]` is the fraction of the layer's ‖Δ‖² a mix with
/// that rule keeps at ρ = i/(n-1), measured on the weights; a rule with no curve (not measured yet)
/// previews its expectation for `random`, ρ itself.
public struct MixPreviewRow: Equatable, Sendable {
    public var name: String
    public var parameters: Int
    public var energyKept: [SelectionRule: [Double]]

    public init(name: String, parameters: Int, energyKept: [SelectionRule: [Double]] = [:]) {
        self.name = name
        self.parameters = parameters
        self.energyKept = energyKept
    }

    /// Interpolated kept fraction of ‖Δ‖² at ρ under a rule; nil when that rule's curve is not known.
    public func kept(at rho: Double, rule: SelectionRule) -> Double? {
        let r = min(max(rho, 0), 1)
        guard let curve = energyKept[rule], curve.count >= 2 else { return rule == .random ? r : nil }
        let pos = r * Double(curve.count - 1)
        let i = min(Int(pos), curve.count - 2)
        let f = pos - Double(i)
        return curve[i] * (1 - f) + curve[i + 1] * f
    }
}

/// One token in the E-PUR ranking.
public struct TokenRow: Equatable, Sendable {
    public var token: String
    public var id: Int
    /// Relative drift δ of the token's embedding row.
    public var drift: Double
    /// Frequency f in the clean set.
    public var freq: Double
    /// Suspicion score s.
    public var score: Double
    /// A likely trigger (highlighted).
    public var candidate: Bool

    public init(token: String, id: Int, drift: Double, freq: Double, score: Double, candidate: Bool = false) {
        self.token = token
        self.id = id
        self.drift = drift
        self.freq = freq
        self.score = score
        self.candidate = candidate
    }
}

/// The last E-PUR ranking and what it did.
public struct EpurModel: Equatable, Sendable {
    public var top: Int
    public var fMin: Double
    public var tokens: [TokenRow]
    /// The variant E-PUR made from this ranking ("" for none, e.g. sample data).
    public var madeVariant: String
    /// Embedding rows that variant really reset (nil: not known).
    public var rowsReset: Int?
    /// True when the current variant is not the one this ranking was made on (after `variant X`).
    public var stale: Bool
    /// The label the trigger hunt found each tested word turns sentences to (token → target).
    public var huntTargets: [String: Int] = [:]

    public init(top: Int = 200, fMin: Double = 0.001, tokens: [TokenRow] = [], madeVariant: String = "",
                rowsReset: Int? = nil, stale: Bool = false) {
        self.top = top
        self.fMin = fMin
        self.tokens = tokens
        self.madeVariant = madeVariant
        self.rowsReset = rowsReset
        self.stale = stale
    }
}

/// What the Monitor draws its live series (`LiveRun`) against: the victim's values before the
/// defence and the trigger ASR is measured with.
public struct MonitorModel: Equatable, Sendable {
    public var accBefore: Double?
    public var asrBefore: Double?
    public var probeSize: Int
    public var trigger: String
    /// The ASR curve is measured with the trigger hunt's suspect, not a known trigger.
    public var asrEstimated = false

    public init(accBefore: Double? = nil, asrBefore: Double? = nil, probeSize: Int = 200, trigger: String = "") {
        self.accBefore = accBefore
        self.asrBefore = asrBefore
        self.probeSize = probeSize
        self.trigger = trigger
    }
}

/// One variant made in this session.
public struct VariantRow: Equatable, Sendable {
    public var name: String
    public var method: String
    public var acc: Double?
    public var asr: Double?
    public var deltaAcc: Double?
    public var deltaAsr: Double?
    public var rho: Double?
    public var epur: Bool
    public var cleanSize: Int
    public var steps: Int
    public var seed: Int
    public var seconds: Double
    public var current: Bool
    /// Its ASR was measured with the trigger hunt's suspect.
    public var asrEstimated = false

    public init(name: String, method: String, acc: Double?, asr: Double?, deltaAcc: Double? = nil, deltaAsr: Double? = nil,
                rho: Double? = nil, epur: Bool = false, cleanSize: Int = 0, steps: Int = 0, seed: Int = 0,
                seconds: Double = 0, current: Bool = false) {
        self.name = name
        self.method = method
        self.acc = acc
        self.asr = asr
        self.deltaAcc = deltaAcc
        self.deltaAsr = deltaAsr
        self.rho = rho
        self.epur = epur
        self.cleanSize = cleanSize
        self.steps = steps
        self.seed = seed
        self.seconds = seconds
        self.current = current
    }
}

public struct ProbePrediction: Equatable, Sendable {
    public var variant: String
    public var label: String
    public var confidence: Double
    public init(variant: String, label: String, confidence: Double) {
        self.variant = variant
        self.label = label
        self.confidence = confidence
    }
}

public struct ProbeModel: Equatable, Sendable {
    public var sentence: String
    public var predictions: [ProbePrediction]
    /// Tokens of the sentence E-PUR would reset.
    public var resetTokens: [String]
    public init(sentence: String = "", predictions: [ProbePrediction] = [], resetTokens: [String] = []) {
        self.sentence = sentence
        self.predictions = predictions
        self.resetTokens = resetTokens
    }
}

public enum FileKind: String, Equatable, Sendable { case directory, checkpoint, dataset, file }

public struct FileEntry: Equatable, Sendable {
    public var name: String
    public var kind: FileKind
    public var detail: String
    public init(name: String, kind: FileKind, detail: String = "") {
        self.name = name
        self.kind = kind
        self.detail = detail
    }
}

/// What the Load pane is choosing.
public enum LoadTarget: String, Equatable, Sendable, CaseIterable { case pre, victim, clean, test }

public struct LoadModel: Equatable, Sendable {
    public var directory: String
    public var entries: [FileEntry]
    public var recent: [String]
    public var error: String?
    public init(directory: String = "", entries: [FileEntry] = [], recent: [String] = [], error: String? = nil) {
        self.directory = directory
        self.entries = entries
        self.recent = recent
        self.error = error
    }
}

/// A verb of the command language, as the palette completes it and help lists it.
public struct PaletteCommand: Equatable, Sendable {
    public var verb: String
    public var usage: String
    public var summary: String
    public var options: [String]
    public init(verb: String, usage: String, summary: String, options: [String] = []) {
        self.verb = verb
        self.usage = usage
        self.summary = summary
        self.options = options
    }
}

/// Everything the session shows.
public struct WorkbenchModel: Equatable, Sendable {
    public var header: HeaderInfo
    public var layers: [LayerRow]
    public var mixer: MixerModel
    public var epur: EpurModel
    public var monitor: MonitorModel
    public var variants: [VariantRow]
    public var sweep: [SweepPoint]
    public var probe: ProbeModel
    public var log: [LogLine]
    public var load: LoadModel
    public var commands: [PaletteCommand]
    /// The walkthrough's current caption, shown as a banner (nil: none).
    public var caption: String?

    public init(header: HeaderInfo = HeaderInfo(), layers: [LayerRow] = [], mixer: MixerModel = MixerModel(),
                epur: EpurModel = EpurModel(), monitor: MonitorModel = MonitorModel(), variants: [VariantRow] = [],
                sweep: [SweepPoint] = [], probe: ProbeModel = ProbeModel(), log: [LogLine] = [],
                load: LoadModel = LoadModel(), commands: [PaletteCommand] = [], caption: String? = nil) {
        self.caption = caption
        self.header = header
        self.layers = layers
        self.mixer = mixer
        self.epur = epur
        self.monitor = monitor
        self.variants = variants
        self.sweep = sweep
        self.probe = probe
        self.log = log
        self.load = load
        self.commands = commands
    }
}
