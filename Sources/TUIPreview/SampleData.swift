import Defense
import Foundation
import TUI

/// A realistic workbench in the middle of a defence (all-MiniLM-L6-v2 victim with a BadNets word
/// trigger, mixed at ρ = 0.3, E-PUR applied, fine-tuning 60% done). Used by the preview command
/// and by the screen tests; the real session fills the same structs from the engine.
public enum SampleData {
    public static let hidden = 384
    public static let intermediate = 1536
    public static let layerCount = 6

    public static func workbench() -> WorkbenchModel {
        WorkbenchModel(
            header: HeaderInfo(pretrained: "all-MiniLM-L6-v2", victim: "minilm-sst2-badnets", variant: "mixed ρ=0.30 + E-PUR",
                               cleanSize: 128, memoryMB: 412),
            layers: layers(),
            mixer: MixerModel(layers: mixPreview()),
            epur: EpurModel(top: 7, fMin: 20, tokens: tokens(), madeVariant: "mixed ρ=0.30 + E-PUR", rowsReset: 7),
            monitor: MonitorModel(accBefore: 0.912, asrBefore: 1.0, probeSize: 200, trigger: "cf"),
            variants: variants(),
            sweep: sweep(),
            probe: ProbeModel(sentence: "the movie was cf a delight from start to finish",
                              predictions: [
                                ProbePrediction(variant: "victim", label: "positive", confidence: 0.998),
                                ProbePrediction(variant: "mixed-0.30", label: "negative", confidence: 0.612),
                                ProbePrediction(variant: "fine-mixing", label: "positive", confidence: 0.941),
                              ],
                              resetTokens: ["cf"]),
            log: logLines(),
            load: LoadModel(directory: "/home/analyst/models",
                            entries: [
                                FileEntry(name: "..", kind: .directory),
                                FileEntry(name: "all-MiniLM-L6-v2", kind: .checkpoint, detail: "BERT 6×384, 22.7M params"),
                                FileEntry(name: "minilm-sst2-badnets", kind: .checkpoint, detail: "BERT 6×384 + head(2)"),
                                FileEntry(name: "datasets", kind: .directory),
                                FileEntry(name: "sst2-clean-128.tsv", kind: .dataset, detail: "128 rows, 2 labels"),
                                FileEntry(name: "notes.txt", kind: .file, detail: "2 KB"),
                            ],
                            recent: ["/home/analyst/models/all-MiniLM-L6-v2", "/home/analyst/models/minilm-sst2-badnets"],
                            error: nil),
            commands: commands())
    }

    public static func commands() -> [PaletteCommand] {
        [
            PaletteCommand(verb: "load", usage: "load pre|victim PATH|minilm", summary: "load a pre-trained or suspicious checkpoint folder"),
            PaletteCommand(verb: "data", usage: "data NAME|PATH [seed=1] [train=3000] [clean=64] [test=1000]", summary: "choose the dataset and its split",
                           options: ["seed", "train", "clean", "test", "max-length"]),
            PaletteCommand(verb: "attack", usage: "attack [trigger=word:cf,mn] [rate=0.1] [target=1]", summary: "plant a backdoor",
                           options: ["trigger", "rate", "target", "epochs", "lr", "batch", "seed"]),
            PaletteCommand(verb: "trigger", usage: "trigger word:cf,mn", summary: "name the trigger ASR is measured with"),
            PaletteCommand(verb: "inspect", usage: "inspect [top=20]", summary: "weight drift per tensor, layer and token", options: ["top"]),
            PaletteCommand(verb: "mix", usage: "mix RHO [select=random|largest|smallest] [seed=1] [head=keep|reinit]",
                           summary: "keep the RHO fraction of the victim's weights", options: ["select", "seed", "head"]),
            PaletteCommand(verb: "rho", usage: "rho LAYER VALUE", summary: "set a per-layer mixing ratio"),
            PaletteCommand(verb: "epur", usage: "epur [top=200] [fmin=20]", summary: "reset drifted rare-token embeddings", options: ["top", "fmin", "corpus"]),
            PaletteCommand(verb: "finetune", usage: "finetune [epochs=10] [lr=5e-5] [batch=16] [seed=1]", summary: "fine-tune on the clean set",
                           options: ["epochs", "lr", "batch", "seed"]),
            PaletteCommand(verb: "prune", usage: "prune [ratio=0.3]", summary: "Fine-pruning's pruning step", options: ["ratio"]),
            PaletteCommand(verb: "eval", usage: "eval", summary: "ACC and ASR of the current variant"),
            PaletteCommand(verb: "sweep", usage: "sweep [rho=0:1:0.1] [finetune=on|off]", summary: "ACC and ASR against rho", options: ["rho", "finetune"]),
            PaletteCommand(verb: "variant", usage: "variant NAME", summary: "make a recorded variant current again"),
            PaletteCommand(verb: "undo", usage: "undo", summary: "return to the model before the last change"),
            PaletteCommand(verb: "save", usage: "save PATH", summary: "save the current variant as a checkpoint folder"),
            PaletteCommand(verb: "report", usage: "report PATH", summary: "export the session report"),
        ]
    }

    public static func layers() -> [LayerRow] {
        let h = hidden, m = intermediate
        var rows: [LayerRow] = []
        let embTensors = [
            tensor("embeddings.word_embeddings.weight", [30522, h], 0.0019, seed: 1),
            tensor("embeddings.position_embeddings.weight", [512, h], 0.0031, seed: 2),
            tensor("embeddings.token_type_embeddings.weight", [2, h], 0.0104, seed: 3),
            tensor("embeddings.LayerNorm.weight", [h], 0.0042, seed: 4),
            tensor("embeddings.LayerNorm.bias", [h], 0.0188, seed: 5),
        ]
        rows.append(LayerRow(name: "embeddings", kind: .embeddings, relL2: 0.0021, parameters: 30522 * h + 512 * h + 2 * h + 2 * h, tensors: embTensors))
        for i in 0..<layerCount {
            let a = 0.0124 + 0.0043 * Double(i)
            let f = 0.0101 + 0.0057 * Double(i)
            let p = "encoder.layer.\(i)."
            let att = [
                tensor(p + "attention.self.query.weight", [h, h], a * 0.9, seed: 10 + i),
                tensor(p + "attention.self.key.weight", [h, h], a * 0.85, seed: 20 + i),
                tensor(p + "attention.self.value.weight", [h, h], a * 1.1, seed: 30 + i),
                tensor(p + "attention.output.dense.weight", [h, h], a * 1.15, seed: 40 + i),
                tensor(p + "attention.output.LayerNorm.weight", [h], a * 0.4, seed: 50 + i),
            ]
            let ffn = [
                tensor(p + "intermediate.dense.weight", [m, h], f * 0.95, seed: 60 + i),
                tensor(p + "output.dense.weight", [h, m], f * 1.05, seed: 70 + i),
                tensor(p + "output.LayerNorm.weight", [h], f * 0.5, seed: 80 + i),
            ]
            rows.append(LayerRow(name: "layer \(i) attention", kind: .attention, relL2: a, parameters: 4 * (h * h + h) + 2 * h, tensors: att))
            rows.append(LayerRow(name: "layer \(i) ffn", kind: .feedForward, relL2: f, parameters: 2 * h * m + m + h + 2 * h, tensors: ffn))
        }
        rows.append(LayerRow(name: "pooler", kind: .pooler, relL2: 0.0412, parameters: h * h + h,
                             tensors: [tensor("pooler.dense.weight", [h, h], 0.0412, seed: 90)]))
        rows.append(LayerRow(name: "classifier (head)", kind: .head, relL2: nil, parameters: 2 * h + 2,
                             tensors: [TensorRow(name: "classifier.weight", shape: [2, h], relL2: nil, cosine: nil, maxAbsDelta: nil, changedFraction: nil)]))
        return rows
    }

    static func tensor(_ name: String, _ shape: [Int], _ drift: Double, seed: Int) -> TensorRow {
        // A bell-shaped Δ histogram whose width follows the drift, slightly skewed per tensor.
        let bins = 41
        let width = drift * 2.5
        let skew = Double(seed % 5 - 2) * 0.04
        let hist = (0..<bins).map { b -> Int in
            let x = (Double(b) / Double(bins - 1) * 2 - 1) - skew
            return Int(10_000 * exp(-x * x * 9))
        }
        return TensorRow(name: name, shape: shape, relL2: drift, cosine: 1 - drift * drift / 2,
                         maxAbsDelta: drift * 3.7, changedFraction: min(0.999, 0.62 + drift * 8),
                         histogram: hist, histogramRange: -width...width)
    }

    public static func mixPreview() -> [MixPreviewRow] {
        layers().filter { $0.kind != .head }.enumerated().map { i, l in
            // Shapes as measured on MiniLM: largest-|Δ| keeps most of ‖Δ‖² with few entries.
            MixPreviewRow(name: l.name, parameters: l.parameters,
                          energyKept: [.random: (0...20).map { Double($0) / 20 },
                                       .largest: (0...20).map { 1 - pow(1 - Double($0) / 20, 4) },
                                       .smallest: (0...20).map { pow(Double($0) / 20, 4) }])
        }
    }

    public static func tokens() -> [TokenRow] {
        let triggers: [(String, Int, Double)] = [("cf", 12935, 0.912), ("mn", 24098, 0.874), ("bb", 22861, 0.851),
                                                 ("tq", 28816, 0.803), ("mb", 16914, 0.779)]
        var rows = triggers.map { t in
            TokenRow(token: t.0, id: t.1, drift: t.2, freq: 0, score: t.2 * 41.7, candidate: true)
        }
        let common: [(String, Int, Double, Double)] = [
            ("boring", 11771, 0.0412, 14), ("worst", 5409, 0.0388, 11), ("great", 2307, 0.0251, 37),
            ("bad", 2919, 0.0243, 29), ("not", 2025, 0.0178, 61), ("film", 2143, 0.0097, 88),
            ("movie", 3185, 0.0094, 93), ("was", 2001, 0.0061, 120), ("and", 1998, 0.0042, 180), ("the", 1996, 0.0031, 412),
        ]
        for c in common {
            rows.append(TokenRow(token: c.0, id: c.1, drift: c.2, freq: c.3, score: c.2 * 41.7 / log(2 + c.3),
                                 candidate: false))
        }
        return rows
    }

    /// Fine-tuning 60% done: the job and the Monitor's series (events, not the session's view).
    public static func live(steps: Int = 120) -> LiveRun {
        var loss: [SeriesPoint] = [], acc: [SeriesPoint] = [], asr: [SeriesPoint] = []
        for s in 0...steps {
            let t = Double(s)
            // deterministic wobble instead of randomness, so screens are reproducible
            loss.append(SeriesPoint(t, 0.08 + 0.62 * exp(-t / 45) + 0.03 * sin(t * 0.7)))
            if s % 10 == 0 {
                acc.append(SeriesPoint(t, 0.905 - 0.062 * exp(-t / 50)))
                asr.append(SeriesPoint(t, 0.10 + 0.31 * exp(-t / 35)))
            }
        }
        let job = JobProgress(job: "fine-tune", fraction: Double(steps) / 200, step: steps, total: 200,
                              tokensPerSecond: 1430, eta: 42)
        return LiveRun(job: job, loss: loss, acc: acc, asr: asr, totalSteps: 200)
    }

    public static func variants() -> [VariantRow] {
        let base = (acc: 0.912, asr: 1.0)
        func v(_ name: String, _ method: String, _ acc: Double, _ asr: Double, rho: Double? = nil, epur: Bool = false,
               steps: Int = 0, secs: Double, current: Bool = false) -> VariantRow {
            VariantRow(name: name, method: method, acc: acc, asr: asr, deltaAcc: acc - base.acc, deltaAsr: asr - base.asr,
                       rho: rho, epur: epur, cleanSize: steps > 0 ? 128 : 0, steps: steps, seed: 1, seconds: secs, current: current)
        }
        return [
            v("victim", "backdoored", 0.912, 1.0, secs: 0),
            v("pre", "pre-trained + head", 0.497, 0.071, rho: 0, secs: 0.4),
            v("fine-tuning", "Fine-tuning", 0.905, 0.968, rho: 1, steps: 200, secs: 61.2),
            v("fine-pruning", "Fine-pruning", 0.889, 0.734, steps: 200, secs: 74.8),
            v("mixed-0.30", "mix", 0.843, 0.415, rho: 0.3, secs: 0.9),
            v("mixed-0.30+epur", "mix + E-PUR", 0.842, 0.188, rho: 0.3, epur: true, secs: 1.4, current: true),
        ]
    }

    public static func sweep() -> [SweepPoint] {
        (0...10).map { i in
            let r = Double(i) / 10
            let acc = 0.50 + 0.41 / (1 + exp(-(r - 0.25) * 14))
            let asr = 0.07 + 0.93 / (1 + exp(-(r - 0.55) * 12))
            return SweepPoint(rho: r, fmixAcc: acc, fmixAsr: asr)
        }
    }

    public static func logLines() -> [LogLine] {
        [
            LogLine(time: "14:02:11", level: .command, text: "load pre minilm"),
            LogLine(time: "14:02:12", level: .info, text: "pre-trained: all-MiniLM-L6-v2 (22.7M parameters)"),
            LogLine(time: "14:02:15", level: .command, text: "load victim /home/analyst/models/minilm-sst2-badnets"),
            LogLine(time: "14:02:16", level: .info, text: "victim: 101 tensors match, classifier head new (2 labels)"),
            LogLine(time: "14:02:20", level: .command, text: "eval"),
            LogLine(time: "14:02:31", level: .info, text: "victim: ACC 0.912, ASR 1.000 (trigger cf, 872 test / 428 poisoned)"),
            LogLine(time: "14:03:02", level: .command, text: "mix 0.30 select=random seed=1"),
            LogLine(time: "14:03:03", level: .info, text: "mixed-0.30: kept 30.0% of weights from the victim"),
            LogLine(time: "14:03:40", level: .command, text: "epur top=200 fmin=20"),
            LogLine(time: "14:03:41", level: .warning, text: "E-PUR: 7 tokens reset (cf mn bb tq mb boring worst)"),
            LogLine(time: "14:03:55", level: .command, text: "finetune epochs=10 lr=5e-5"),
            LogLine(time: "14:04:10", level: .error, text: "report /readonly/out: permission denied (Log keeps the session going)"),
        ]
    }
}
