import Foundation

/// Mean softmax cross-entropy over a batch of logits, as `torch.nn.CrossEntropyLoss()`.
public enum CrossEntropy {
    /// logits[batch, classes], labels[batch] → mean loss; dlogits (if given) = (softmax − onehot)/batch.
    /// Computed in Double: it is tiny and the loss is what NaN checks and logs read.
    /// `meanOver` divides by a larger count instead: a part of a batch gives its share of the
    /// whole batch's mean and gradient.
    public static func forwardBackward(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                       batch: Int, classes: Int, dlogits: UnsafeMutablePointer<Float>?,
                                       meanOver: Int? = nil) -> Float {
        let count = Double(meanOver ?? batch)
        var total = 0.0
        for b in 0..<batch {
            let row = logits + b * classes
            var m = -Double.infinity
            for c in 0..<classes { m = max(m, Double(row[c])) }
            var s = 0.0
            for c in 0..<classes { s += Foundation.exp(Double(row[c]) - m) }
            let lse = m + Foundation.log(s)
            let y = Int(labels[b])
            total += lse - Double(row[y])
            if let dlogits {
                let d = dlogits + b * classes
                for c in 0..<classes {
                    let p = Foundation.exp(Double(row[c]) - lse)
                    d[c] = Float((p - (c == y ? 1 : 0)) / count)
                }
            }
        }
        return Float(total / count)
    }
}
