import Defense
import Foundation

/// A tiny BERT classifier folder (vocabulary `vocab`, hidden 4, one layer) written with finemix's
/// own writer, for the binary's bad-model tests; `edit` may change any tensor's values first.
enum TinyClassifierFolder {
    static func make(_ root: URL, _ name: String, vocab: Int = 12,
                     edit: (_ tensor: String, _ values: inout [Float]) -> Void = { _, _ in }) throws -> URL {
        var c = BertConfig()
        c.vocabSize = vocab; c.hiddenSize = 4; c.numHiddenLayers = 1; c.numAttentionHeads = 2
        c.intermediateSize = 8; c.maxPositionEmbeddings = 16
        c.setLabels(2)
        let w = try SyntheticWeights(config: c, seed: 1, withHead: true)
        let tensors = try w.tensorNames.map { name -> NamedTensor in
            let shape = w.shape(of: name)!
            var v = [Float](repeating: 0, count: shape.reduce(1, *))
            try v.withUnsafeMutableBufferPointer { try w.readFloats(name, into: $0) }
            edit(name, &v)
            return NamedTensor(name: name, shape: shape, values: v)
        }
        let lines = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (5..<vocab).map { "tok\($0)" }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let vocabURL = root.appendingPathComponent("\(name)-vocab.txt")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: vocabURL)
        let out = root.appendingPathComponent(name)
        try CheckpointFolder.save(config: c, vocab: vocabURL, tensors: tensors, to: out)
        return out
    }
}
