import Foundation

/// A LoRA adapter as peft saves it: `adapter_config.json` and `adapter_model.safetensors` (or
/// `adapter_model.bin`) holding, for each adapted linear layer W [out, in],
///
///     base_model.model.<name>.lora_A.weight   A [r, in]
///     base_model.model.<name>.lora_B.weight   B [out, r]
///
/// and whole tensors for `modules_to_save` (the classifier head: `base_model.model.classifier.weight`).
/// Merged on load as peft's `merge_and_unload` does: W' = W + s·(B·A) with s = lora_alpha/r, or
/// lora_alpha/√r with `use_rslora`; embeddings (`lora_embedding_A` [r, vocab], `lora_embedding_B`
/// [dim, r]) get (B·A)ᵀ. Drift, mixing and everything else then see one ordinary model.
public struct LoraAdapter: Sendable {
    public static let configName = "adapter_config.json"
    public static let weightNames = ["adapter_model.safetensors", "adapter_model.bin"]
    static let prefix = "base_model.model."

    public let folder: URL
    public let configURL: URL
    public let r: Int
    public let alpha: Double
    public let rslora: Bool
    /// `base_model_name_or_path` as saved (a Hub name or a path).
    public let baseName: String?

    /// peft's scaling, in the Float the merge computes with.
    public var scale: Float { Float(rslora ? alpha / Double(r).squareRoot() : alpha / Double(r)) }

    public static func isAdapter(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(configName).path)
    }

    public init(folder: URL) throws {
        self.folder = folder
        configURL = folder.appendingPathComponent(Self.configName)
        let path = configURL.path
        guard let data = try? Data(contentsOf: configURL) else { throw FinemixError("\(path): cannot read the adapter config") }
        guard let c = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw FinemixError("\(path): not a JSON object (malformed adapter config)")
        }
        try HeaderKeys.refuseDuplicates([UInt8](data), path: path)
        let type = c["peft_type"] as? String ?? "LORA"
        guard type == "LORA" else {
            throw FinemixError("\(path): peft_type '\(type)' is not LoRA; finemix merges LoRA adapters only")
        }
        // Each of these changes what the merge computes; merging without them would give a
        // model other than the one the adapter's author ran, so they are refused by name.
        for key in ["use_dora", "lora_bias", "use_qalora"] where c[key] as? Bool == true {
            throw FinemixError("\(path): \(key) is set (\(key == "use_dora" ? "a DoRA adapter" : "a LoRA variant")); finemix merges plain LoRA adapters only")
        }
        for key in ["rank_pattern", "alpha_pattern"] {
            if let p = c[key] as? [String: Any], !p.isEmpty {
                throw FinemixError("\(path): \(key) gives some layers their own rank or alpha; finemix merges adapters with one r and lora_alpha only")
            }
        }
        if let replication = c["layer_replication"], !(replication is NSNull) {
            throw FinemixError("\(path): layer_replication is set; finemix merges adapters over the base model's own layers only")
        }
        guard let r = c["r"] as? Int, r > 0, r <= 65_536 else {
            throw FinemixError("\(path): field 'r' must be a positive integer rank")
        }
        guard let alpha = (c["lora_alpha"] as? NSNumber)?.doubleValue, alpha.isFinite else {
            throw FinemixError("\(path): field 'lora_alpha' must be a number")
        }
        self.r = r
        self.alpha = alpha
        rslora = c["use_rslora"] as? Bool ?? false
        baseName = c["base_model_name_or_path"] as? String
    }

    /// The base model's folder: `base_model_name_or_path` when it is a local folder (a relative
    /// one is taken from the adapter's folder first, then from the working directory), else `pre`.
    public func baseFolder(pre: URL?) throws -> URL {
        if let name = baseName, !name.isEmpty {
            let candidates = name.hasPrefix("/") ? [URL(fileURLWithPath: name)]
                : [folder.appendingPathComponent(name), URL(fileURLWithPath: name)]
            for url in candidates where FileManager.default.fileExists(atPath: url.appendingPathComponent(CheckpointFolder.configName).path) {
                return url.standardizedFileURL
            }
        }
        if let pre { return pre }
        throw FinemixError("\(configURL.path): the base model '\(baseName ?? "")' is not a local model folder; give the pre-trained base model with --pre")
    }

    /// "LoRA r=8, alpha 16 over bert-tiny"
    public func summary(base: URL) -> String {
        let a = alpha == alpha.rounded() ? String(Int(alpha)) : String(alpha)
        return "LoRA r=\(r), alpha \(a)\(rslora ? " (rsLoRA)" : "") over \(base.lastPathComponent)"
    }

    /// The base's weights with the adapter merged in; `files` lists the adapter's and the base's.
    /// The adapter's tensor names (after `base_model.model.`) are the base family's own
    /// (`roberta.encoder...`, `distilbert.transformer...`, `classifier.out_proj`), mapped as the
    /// base's are; tensors the family's classifier does not use are left out, as the base's are.
    public func merge(over base: SafetensorsFile, family: ModelFamily = .bert) throws -> SafetensorsFile {
        guard let name = Self.weightNames.first(where: { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }) else {
            throw FinemixError("\(folder.path): has \(Self.configName) but neither \(Self.weightNames.joined(separator: " nor "))")
        }
        let url = folder.appendingPathComponent(name)
        let adapter = name.hasSuffix(".bin") ? try TorchBin.read(url) : try SafetensorsFile(url)
        let file = url.path

        // module → (A, B, embedding?) by the adapter's stored names; the rest replace base tensors.
        var pairs: [String: (a: String?, b: String?, embedding: Bool)] = [:]
        var replaced: [(canonical: String, stored: String)] = []
        for (key, e) in adapter.entries {
            let stored = e.storedName
            guard stored.hasPrefix(Self.prefix) else {
                throw FinemixError("\(file): tensor \(stored) does not begin with \(Self.prefix), as peft names an adapter's tensors")
            }
            let rest = String(stored.dropFirst(Self.prefix.count))
            let forms: [(String, Bool, Bool)] = [(".lora_A.weight", true, false), (".lora_B.weight", false, false),
                                                 (".lora_embedding_A", true, true), (".lora_embedding_B", false, true)]
            if let (suffix, isA, embedding) = forms.first(where: { rest.hasSuffix($0.0) }) {
                let module = String(rest.dropLast(suffix.count))
                var p = pairs[module] ?? (nil, nil, embedding)
                if isA { p.a = key } else { p.b = key }
                p.embedding = embedding
                pairs[module] = p
            } else if rest.contains(".lora_magnitude_vector") {
                throw FinemixError("\(file): tensor \(stored) is a DoRA magnitude; finemix merges plain LoRA adapters only")
            } else if rest.contains(".lora_") {
                throw FinemixError("\(file): tensor \(stored) is a LoRA part finemix does not merge (it merges lora_A/lora_B and lora_embedding_A/B)")
            } else {
                guard let canonical = family.canonical(rest) else { continue }
                guard base.shape(of: canonical) != nil || family.isHead(canonical) else {
                    throw FinemixError("\(file): tensor \(stored) replaces \(canonical), which the base model does not have")
                }
                replaced.append((canonical, key))
            }
        }

        var merged: [ConvertedWeights.Tensor] = []
        for (canonical, key) in replaced {
            guard let shape = adapter.shape(of: key) else { continue }
            merged.append(.init(name: canonical, dtype: .f32, shape: shape) { out in
                try adapter.readFloats(key, into: UnsafeMutableBufferPointer(start: out.assumingMemoryBound(to: Float.self), count: shape.reduce(1, *)))
            })
        }
        let replacedNames = Set(replaced.map(\.canonical))
        for module in pairs.keys.sorted() {
            let p = pairs[module]!
            guard let a = p.a, let b = p.b else {
                throw FinemixError("\(file): module \(module) has lora_\(p.a == nil ? "A" : "B") but not lora_\(p.a == nil ? "B" : "A")")
            }
            // a layer the family's classifier does not use (an MLM head's dense): left out with it
            guard let target = family.canonical(module + ".weight") else { continue }
            guard !replacedNames.contains(target) else {
                throw FinemixError("\(file): tensor \(target) is both replaced and adapted by LoRA; which one holds is unclear")
            }
            guard let w = base.shape(of: target), w.count == 2 else {
                throw FinemixError("\(file): module \(module) adapts \(target), which the base model does not have as a matrix")
            }
            // Linear: W [out, in], A [r, in], B [out, r]. Embedding: W [vocab, dim], A [r, vocab], B [dim, r].
            let (rows, cols) = p.embedding ? (w[1], w[0]) : (w[0], w[1])
            guard adapter.shape(of: a) == [r, cols], adapter.shape(of: b) == [rows, r] else {
                throw FinemixError("\(file): module \(module) has lora_A \(adapter.shape(of: a)!) and lora_B \(adapter.shape(of: b)!), but r=\(r) (adapter_config.json) over \(target) \(w) needs [\(r), \(cols)] and [\(rows), \(r)]")
            }
            let embedding = p.embedding, rank = r, s = scale
            merged.append(.init(name: target, dtype: .f32, shape: w) { out in
                let W = UnsafeMutableBufferPointer(start: out.assumingMemoryBound(to: Float.self), count: w[0] * w[1])
                try base.readFloats(target, into: W)
                var A = [Float](repeating: 0, count: rank * cols), B = [Float](repeating: 0, count: rows * rank)
                try A.withUnsafeMutableBufferPointer { try adapter.readFloats(a, into: $0) }
                try B.withUnsafeMutableBufferPointer { try adapter.readFloats(b, into: $0) }
                Self.addProduct(B, A, rows: rows, rank: rank, cols: cols, scale: s, transposed: embedding, into: W)
            })
        }
        let delta = try ConvertedWeights.make(merged, from: url)
        return try SafetensorsFile(combining: [delta, base], url: url, extraFiles: [configURL], overriding: true)
    }

    /// W += s·(B·A), or W += s·(B·A)ᵀ; B [rows, rank], A [rank, cols]. Each row of B·A is summed
    /// first and scaled after, as peft computes (B @ A) * scaling before adding.
    static func addProduct(_ B: [Float], _ A: [Float], rows: Int, rank: Int, cols: Int, scale: Float,
                           transposed: Bool, into W: UnsafeMutableBufferPointer<Float>) {
        var row = [Float](repeating: 0, count: cols)
        for i in 0..<rows {
            for j in 0..<cols { row[j] = 0 }
            for k in 0..<rank {
                let bik = B[i * rank + k]
                for j in 0..<cols { row[j] += bik * A[k * cols + j] }
            }
            if transposed {
                for j in 0..<cols { W[j * rows + i] += row[j] * scale }
            } else {
                for j in 0..<cols { W[i * cols + j] += row[j] * scale }
            }
        }
    }
}
