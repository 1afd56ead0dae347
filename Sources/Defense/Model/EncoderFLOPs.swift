/// The floating-point operations one step of the encoder performs, for throughput figures that
/// compare the engine with sgemm: only work the engine does is counted, so a path that skips work
/// (the last layer on first tokens) shows its real rate, not credit for work it left out.
///
/// Matrix products count 2 per multiply-add: a forward pass 2 × weights × rows, a training step 6 ×
/// (forward, input gradient, weight gradient). Attention counts QKᵀ and the probabilities times V,
/// 4 · queries · keys · H per sequence and layer (training 3 times that). LayerNorm, GELU, softmax
/// and the embeddings are left out: they are memory-bound and small beside the products.
public enum EncoderFLOPs {
    /// One step over `batch` sequences of `seq` tokens: a forward pass, or with `train` forward,
    /// backward and the update.
    public static func perStep(_ c: BertConfig, batch: Int, seq: Int, train: Bool,
                               lastLayer: LastLayerTokens) -> Double {
        let layout = ParameterLayout(c)
        let L = c.numHiddenLayers, H = Double(c.hiddenSize)
        guard L > 0, let first = layout.layers.first else { return 0 }
        // Weights (and biases and LayerNorms) of one layer, read off the flat layout.
        let perLayer = Double(layout.poolerW - first.qkvW) / Double(L)
        let tokens = Double(batch * seq), sequences = Double(batch)
        let keyValue = 2 * H * H  // K and V projections: every token, in every layer
        let lastRows: Double, lastQueries: Double
        switch lastLayer {
        case .all: lastRows = tokens; lastQueries = tokens
        case .first: lastRows = sequences; lastQueries = sequences
        }
        let weightMACs = Double(L - 1) * perLayer * tokens + keyValue * tokens + (perLayer - keyValue) * lastRows
        let attention = 4 * H * Double(seq) * (Double(L - 1) * tokens + lastQueries)
        return train ? 6 * weightMACs + 3 * attention : 2 * weightMACs + attention
    }
}
