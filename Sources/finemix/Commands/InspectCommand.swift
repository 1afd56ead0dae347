import ArgumentParser
import Defense
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show where a fine-tuned model's weights drifted from the pre-trained ones.",
        discussion: """
            Per tensor: rel_l2 = ‖Δ‖/‖pre‖, cosine(victim, pre), max|Δ| and the fraction of weights \
            with |Δ| above --threshold. Per layer: sqrt(Σ‖Δ‖²)/sqrt(Σ‖pre‖²) over its tensors. Per \
            token: ‖Δ‖ of its word-embedding row. A tensor whose pre-trained values are all zero \
            shows its absolute ‖Δ‖, flagged. The classifier head has no pre-trained counterpart \
            and is shown as new.
            """)

    @Option(name: .long, help: "The pre-trained checkpoint folder.")
    var pre: String

    @Option(name: .long, help: "The fine-tuned (victim) checkpoint folder.")
    var victim: String

    @Flag(name: .long, help: "Print one JSON object instead of tables.")
    var json = false

    @Option(name: .long, help: "How many tensors and tokens to list.")
    var top: Int = 10

    @Option(name: .long, help: "|Δ| above this counts as changed (changed_frac).")
    var threshold: Double = 1e-6

    @Option(name: .long, help: "Add to each tensor of the JSON a histogram of Δ in this many equal bins over ±max_abs (a second pass over the weights).")
    var histogram: Int = 0

    func validate() throws {
        guard (0...10_000).contains(histogram) else { throw ValidationError("--histogram must be between 0 and 10000 bins") }
        guard top >= 0 else { throw ValidationError("--top must be at least 0") }
        guard threshold >= 0, threshold.isFinite else { throw ValidationError("--threshold must be a non-negative number") }
    }

    func run() throws {
        let (report, victimFolder) = try failing {
            let preFolder = try CheckpointFolder(URL(fileURLWithPath: pre, isDirectory: true))
            let victimFolder = try CheckpointFolder(URL(fileURLWithPath: victim, isDirectory: true), adapterBase: preFolder.url)
            try CheckpointFolder.checkSameVocabulary(pre: preFolder, victim: victimFolder)
            try preFolder.requireFiniteWeights()
            try victimFolder.requireFiniteWeights()
            let vocabulary = try Drift.vocabularyLines(preFolder.vocabURL)
            let report = try Drift.report(pre: preFolder.weights, victim: victimFolder.weights, vocabulary: vocabulary,
                                          options: .init(changedThreshold: threshold, topTokens: top, histogramBins: histogram))
            return (report, victimFolder)
        }
        let origin = victimFolder.origin
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let out = InspectJSON(report: report, family: (victimFolder.config.family ?? .bert).rawValue,
                                  origin: origin, format: victimFolder.weightFormat)
            print(String(decoding: try encoder.encode(out), as: UTF8.self))
        } else {
            // Said only when the weights came from something other than model.safetensors.
            if origin != WeightFileChoice.safetensors.rawValue { print("victim weights: \(origin)\n") }
            print(DriftTables.render(report, top: top), terminator: "")
        }
    }
}

/// The drift report's keys and, beside them, what the victim is: `family` (bert, roberta, ...),
/// `victim_origin` (what the text output's "victim weights:" line says, e.g. "pytorch_model.bin"
/// or "LoRA r=4, alpha 8 over bert") and `victim_format` (safetensors, sharded-safetensors,
/// pytorch-bin, sharded-pytorch-bin, lora-adapter).
struct InspectJSON: Encodable {
    let report: DriftReport
    let family: String
    let origin: String
    let format: String

    enum CodingKeys: String, CodingKey { case family, origin = "victim_origin", format = "victim_format" }

    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(family, forKey: .family)
        try c.encode(origin, forKey: .origin)
        try c.encode(format, forKey: .format)
    }
}

/// The tables a person reads.
enum DriftTables {
    static func render(_ r: DriftReport, top: Int) -> String {
        var out = ""
        let changed = r.tensors.filter { $0.relL2 > 0 }
        out += "\(changed.count) of \(r.tensors.count) shared tensors differ"
        out += " (changed = |Δ| > \(String(format: "%g", r.changedThreshold)))\n\n"

        out += "Layers (rel L2 = ‖Δ‖ / ‖pre‖)\n"
        let nameWidth = max(5, r.layers.map(\.name.count).max() ?? 0)
        let maxRel = r.layers.compactMap { $0.zeroNorm ? nil : $0.relL2 }.max() ?? 0
        for layer in r.layers {
            let name = layer.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            if layer.isNew {
                out += "  \(name)  \("new".leftPad(10))  (no pre-trained counterpart)\n"
            } else if let rel = layer.relL2 {
                let flag = layer.zeroNorm ? "  ‖pre‖ = 0: absolute ‖Δ‖" : ""
                out += "  \(name)  \(fmt(rel).leftPad(10))  \(layer.zeroNorm ? "" : bar(rel, max: maxRel, width: 30))\(flag)\n"
            }
        }

        out += "\nTop tensors by rel L2\n"
        if changed.isEmpty {
            out += "  (none: every shared tensor is identical)\n"
        } else {
            let rows = changed.sorted { $0.relL2 > $1.relL2 }.prefix(top)
            let w = max(6, rows.map(\.name.count).max() ?? 0)
            out += "  \("tensor".padding(toLength: w, withPad: " ", startingAt: 0))  \("shape".leftPad(12))  \("rel_l2".leftPad(10))  \("cosine".leftPad(10))  \("max|Δ|".leftPad(10))  \("changed".leftPad(8))\n"
            for t in rows {
                let shape = t.shape.map(String.init).joined(separator: "×")
                out += "  \(t.name.padding(toLength: w, withPad: " ", startingAt: 0))  \(shape.leftPad(12))  \(fmt(t.relL2).leftPad(10))  \(String(format: "%.6f", t.cosine).leftPad(10))  \(fmt(t.maxAbs).leftPad(10))  \(String(format: "%.1f%%", t.changedFrac * 100).leftPad(8))"
                out += t.zeroNorm ? "  ‖pre‖ = 0: rel_l2 is absolute ‖Δ‖\n" : "\n"
            }
            if changed.count > rows.count { out += "  … \(changed.count - rows.count) more\n" }
        }

        out += "\nTop tokens by word-embedding row drift ‖Δ‖\n"
        if r.tokens.isEmpty {
            out += "  (none: no embedding row moved)\n"
        } else {
            let maxDrift = r.tokens.map(\.drift).max() ?? 0
            for t in r.tokens {
                out += "  \(String(t.id).leftPad(6))  \(t.token.padding(toLength: 16, withPad: " ", startingAt: 0))  \(fmt(t.drift).leftPad(10))  \(bar(t.drift, max: maxDrift, width: 20))\n"
            }
        }
        if !r.onlyInPre.isEmpty { out += "\nOnly in the pre-trained model: \(r.onlyInPre.joined(separator: ", "))\n" }
        if !r.onlyInVictim.isEmpty { out += "\nOnly in the victim: \(r.onlyInVictim.joined(separator: ", "))\n" }
        return out
    }

    static func fmt(_ x: Double) -> String {
        x == 0 ? "0" : (x >= 1e-3 && x < 1e4 ? String(format: "%.5f", x) : String(format: "%.3e", x))
    }

    /// A horizontal bar in eighths of a cell.
    static func bar(_ x: Double, max: Double, width: Int) -> String {
        guard max > 0, x > 0 else { return "" }
        let eighths = Int((x / max * Double(width * 8)).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
    }
}

extension String {
    func leftPad(_ n: Int) -> String {
        count >= n ? self : String(repeating: " ", count: n - count) + self
    }
}
