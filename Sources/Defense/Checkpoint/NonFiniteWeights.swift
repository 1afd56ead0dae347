/// NaN and ±Inf in weights. A model with even one of them gives NaN logits for every input that
/// touches it, and a drift or mix computed from it is NaN too, so finemix refuses such weights up
/// front and names each tensor and how many of its values are not finite.
public enum NonFiniteWeights {
    /// How many of `values` are NaN or ±Inf (exponent bits all ones, in integer arithmetic so
    /// -Ounchecked's fast-math cannot fold `isFinite` away).
    public static func count(_ values: UnsafeBufferPointer<Float>) -> Int {
        var n = 0
        for v in values where v.bitPattern & 0x7f80_0000 == 0x7f80_0000 { n += 1 }
        return n
    }

    /// Every floating-point tensor of `source` with non-finite values, in name order.
    public static func scan(_ source: any TensorSource, names: [String]? = nil) throws -> [(name: String, count: Int, of: Int)] {
        var found: [(String, Int, Int)] = []
        for name in names ?? source.tensorNames {
            guard let shape = source.shape(of: name) else { continue }
            let total = shape.reduce(1, *)
            var bad = 0
            if let ranged = source as? any RangedTensorSource {
                // In pieces, so a large tensor is never copied whole.
                let piece = 1 << 20
                var scratch = [Float](repeating: 0, count: min(total, piece))
                try scratch.withUnsafeMutableBufferPointer { s in
                    var first = 0
                    while first < total {
                        let r = first..<min(total, first + piece)
                        bad += try ranged.withFloats(name, in: r, scratch: s) { count($0) }
                        first = r.upperBound
                    }
                }
            } else {
                var values = [Float](repeating: 0, count: total)
                try values.withUnsafeMutableBufferPointer { try source.readFloats(name, into: $0) }
                bad = values.withUnsafeBufferPointer { count($0) }
            }
            if bad > 0 { found.append((name, bad, total)) }
        }
        return found
    }

    /// One message for all of them: `where` names the file or model.
    public static func error(_ found: [(name: String, count: Int, of: Int)], in place: String) -> FinemixError {
        let shown = found.prefix(10).map { "\($0.name) (\($0.count) of \($0.of) values)" }.joined(separator: ", ")
        let more = found.count > 10 ? " and \(found.count - 10) more tensors" : ""
        return FinemixError("\(place): \(found.count) tensor\(found.count == 1 ? " holds" : "s hold") NaN or Inf weights: \(shown)\(more). A model with non-finite weights gives NaN outputs; the file is corrupt or was saved from a diverged run")
    }
}

extension CheckpointFolder {
    /// Refuses a folder whose weights hold NaN or Inf, naming each such tensor and its count:
    /// for the paths that read weights without loading a model (inspect's drift, mixing, the
    /// workbench's load), where they would otherwise turn into NaN drift or a NaN mix.
    public func requireFiniteWeights() throws {
        let found = try NonFiniteWeights.scan(weights)
        if !found.isEmpty { throw NonFiniteWeights.error(found, in: weightsURL.path) }
    }
}
