import ArgumentParser
import Defense
import Foundation

/// Developer command: a random-weights checkpoint folder of a real architecture, to time
/// `inspect` (and mixing) at BERT-base size without a BERT-base download. Weights are a pure
/// function of (seed, tensor name, index), so two folders with the same seed are identical except
/// where --perturb adds noise.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a random-weights checkpoint folder (developer tool, for timing).",
        discussion: """
            Example, a pre-trained/victim pair that differs in one tensor:
              finemix synth --config bert-base --out /tmp/pre
              finemix synth --config bert-base --out /tmp/victim --labels 2 \\
                --perturb encoder.layer.3.output.dense.weight=0.001
            vocab.txt is copied from the MiniLM cache (both architectures use the same
            30522-token uncased vocabulary).
            """)

    @OptionGroup var workspace: WorkspaceOptions

    @Option(name: .long, help: "Architecture: minilm or bert-base.")
    var config: String

    @Option(name: .long, help: "Folder to write (config.json, vocab.txt, model.safetensors).")
    var out: String

    @OptionGroup var replace: ReplaceOption

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .long, parsing: .singleValue, help: "NAME=SCALE: add noise of standard deviation SCALE to tensor NAME (repeatable).")
    var perturb: [String] = []

    @Option(name: .long, help: "Add a classifier head with this many labels (default: none, a bare BertModel).")
    var labels: Int?

    func validate() throws {
        guard ["minilm", "bert-base"].contains(config) else {
            throw ValidationError("--config must be minilm or bert-base, found '\(config)'")
        }
        if let labels, labels < 1 || labels > 1000 { throw ValidationError("--labels must be between 1 and 1000") }
    }

    func run() throws {
        try failing {
            let output = try OutputFolder(path: out, command: "synth", force: replace.force, inputs: workspace.inputs)
            var c = config == "minilm" ? BertConfig.minilm : BertConfig.bertBase
            if let labels { c.setLabels(labels) }
            var noise: [String: Float] = [:]
            for item in perturb {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let scale = Float(parts[1]), scale.isFinite, scale >= 0 else {
                    throw FinemixError("--perturb '\(item)': expected NAME=SCALE with SCALE a non-negative number")
                }
                noise[CheckpointNames.canonical(parts[0])] = scale
            }
            let weights = try SyntheticWeights(config: c, seed: seed, withHead: labels != nil, perturb: noise)
            let vocab = try workspace.cache.minilm(progress: note).appendingPathComponent(CheckpointFolder.vocabName)
            let dir = output.url
            try output.write { tmp in
                try CheckpointFolder.save(config: c, vocab: vocab, source: weights, names: weights.tensorNames, to: tmp,
                                          metadata: ["finemix_synth": "config=\(config) seed=\(seed)"])
            }
            let count = weights.tensorNames.reduce(0) { $0 + (weights.elementCount(of: $1) ?? 0) }
            note("wrote \(dir.path): \(weights.tensorNames.count) tensors, \(count) parameters")
        }
    }
}
