import ArgumentParser
import Defense
import Foundation

/// Developer command: mix two checkpoints without fine-tuning, print what was kept, optionally
/// write the mixed checkpoint. Times the mixing pass and the save separately.
struct MixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mix",
        abstract: "Mix a victim with its pre-trained model: keep a fraction rho of the victim's weights.",
        discussion: """
            θ_Mix = θ_Pre + m ⊙ (θ_Bd − θ_Pre). rho is the fraction of weights kept from the victim \
            (1 = the victim, 0 = the pre-trained model). --select random draws the mask per weight \
            from the seed; largest/smallest keep the round(rho·n) weights of each tensor with the \
            largest/smallest |Δ|. --layer GROUP=RHO sets one layer's rho (groups as `finemix \
            inspect` names them: embeddings, encoder.layer.3.attention, encoder.layer.3.ffn, pooler). \
            The classifier head is kept from the victim unless --head reinit.
            Without --out, the mix is computed once over all weights (timing and a digest: two \
            mixes with the same options have the same digest).
            """)

    @Option(name: .long, help: "The pre-trained checkpoint folder.")
    var pre: String

    @Option(name: .long, help: "The fine-tuned (victim) checkpoint folder.")
    var victim: String

    @Option(name: .long, help: "Fraction of weights kept from the victim, in [0, 1].")
    var rho: Double

    @Option(name: .long, help: "random, largest or smallest.")
    var select: String = "random"

    @Option(name: .long, help: "Seed of the random mask (and of a re-initialised head).")
    var seed: UInt64 = 0

    @Option(name: .long, parsing: .singleValue, help: "GROUP=RHO: per-layer rho (repeatable; other layers use --rho).")
    var layer: [String] = []

    @Option(name: .long, help: "keep or reinit the victim's classifier head.")
    var head: String = "keep"

    @Option(name: .long, help: "Write the mixed checkpoint folder here.")
    var out: String?

    @OptionGroup var replace: ReplaceOption

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard MixSpec.Select(rawValue: select) != nil else {
            throw ValidationError("--select must be random, largest or smallest, found '\(select)'")
        }
        guard MixSpec.Head(rawValue: head) != nil else { throw ValidationError("--head must be keep or reinit, found '\(head)'") }
    }

    func spec() throws -> MixSpec {
        var layers: [String: Double] = [:]
        for item in layer {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let r = Double(parts[1]) else {
                throw FinemixError("--layer '\(item)': expected GROUP=RHO, e.g. encoder.layer.3.ffn=0.2")
            }
            layers[parts[0]] = r
        }
        return MixSpec(rho: rho, select: MixSpec.Select(rawValue: select)!, scope: layers.isEmpty ? .global : .layer,
                       layers: layers, seed: seed, head: MixSpec.Head(rawValue: head)!)
    }

    func run() throws {
        try failing {
            let clock = ContinuousClock()
            let preFolder = try CheckpointFolder(URL(fileURLWithPath: pre, isDirectory: true))
            let victimFolder = try CheckpointFolder(URL(fileURLWithPath: victim, isDirectory: true), adapterBase: preFolder.url)
            let output = try out.map {
                try OutputFolder(path: $0, command: "mix", force: replace.force,
                                 inputs: [(what: "the pre-trained model", url: preFolder.url), (what: "the victim", url: victimFolder.url)])
            }
            try CheckpointFolder.checkSameVocabulary(pre: preFolder, victim: victimFolder)
            try preFolder.requireFiniteWeights()
            try victimFolder.requireFiniteWeights()
            let spec = try spec()
            var timings: [String: Double] = [:]
            let start = clock.now
            let mix = try MixedWeights(pre: preFolder.weights, victim: victimFolder.weights, spec: spec,
                                       family: victimFolder.config.family ?? .bert)
            let summary = try mix.summary()
            timings["plan"] = elapsedSeconds(clock.now - start)
            var digest: UInt64?
            if out == nil {
                let t = clock.now
                digest = try mix.digest()
                timings["mix"] = elapsedSeconds(clock.now - t)
            }
            if let output {
                let t = clock.now
                let dir = output.url
                let meta = ["finemix_mix": String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)]
                try output.write { tmp in
                    try CheckpointFolder.save(config: victimFolder.config, vocab: victimFolder.vocabURL, source: mix,
                                              names: mix.tensorNames, to: tmp, metadata: meta)
                }
                timings["save"] = elapsedSeconds(clock.now - t)
                note("wrote \(dir.path)")
            }
            if json {
                let report = MixReport(summary: summary, seconds: timings, digest: digest.map { String($0, radix: 16) }, out: out)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(MixTable.render(summary), terminator: "")
                if let digest { print("digest \(String(digest, radix: 16))") }
                print(timings.keys.sorted { ["plan", "mix", "save"].firstIndex(of: $0)! < ["plan", "mix", "save"].firstIndex(of: $1)! }
                    .map { "\($0) \(String(format: "%.3f", timings[$0]!)) s" }.joined(separator: ", "))
            }
        }
    }
}

func elapsedSeconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

struct MixReport: Encodable {
    let summary: MixSummary
    let seconds: [String: Double]
    let digest: String?
    let out: String?
}

enum MixTable {
    static func render(_ s: MixSummary) -> String {
        let spec = s.spec
        var out = "rho \(spec.rho), select \(spec.select.rawValue), scope \(spec.scope.rawValue), seed \(spec.seed), head \(spec.head.rawValue)\n"
        out += "kept \(s.kept) of \(s.count) weights from the victim (\(String(format: "%.4f", s.fraction)))\n\n"
        let w = max(5, s.layers.map(\.name.count).max() ?? 0)
        out += "  \("layer".padding(toLength: w, withPad: " ", startingAt: 0))  \("rho".rightAligned(6))  \("kept".rightAligned(8))  \("weights".rightAligned(10))\n"
        for l in s.layers {
            out += "  \(l.name.padding(toLength: w, withPad: " ", startingAt: 0))  \(String(format: "%.3f", l.rho).rightAligned(6))  \(String(format: "%.4f", l.fraction).rightAligned(8))  \(String(l.count).rightAligned(10))\n"
        }
        if !s.victimOnly.isEmpty {
            out += "  victim only (\(s.head == .keep ? "kept" : "re-initialised where classifier.*")): \(s.victimOnly.joined(separator: ", "))\n"
        }
        if !s.preOnly.isEmpty { out += "  only in the pre-trained model (not in the mix): \(s.preOnly.joined(separator: ", "))\n" }
        return out
    }
}

extension String {
    /// Right-aligned in `n` columns (longer strings are left as they are).
    func rightAligned(_ n: Int) -> String {
        count >= n ? self : String(repeating: " ", count: n - count) + self
    }
}
