import Foundation

/// A checkpoint split over several files by an index, as transformers' `save_pretrained` writes
/// one past `max_shard_size`: `model.safetensors.index.json` (or `pytorch_model.bin.index.json`)
///
///     {"metadata": {"total_size": 1234}, "weight_map": {"bert.embeddings.word_embeddings.weight": "model-00001-of-00002.safetensors", ...}}
///
/// Each shard is read by the single-file reader, so it is held to the same rules; the index must
/// agree with the shards: every tensor it names is in the shard it names, no shard holds a tensor
/// the index does not name, and no tensor is in two shards.
enum ShardedWeights {
    /// An index is JSON text of a few hundred KB even for the largest models.
    static let maxIndexBytes = 50_000_000

    static func read(index: URL, shard load: (URL) throws -> SafetensorsFile) throws -> SafetensorsFile {
        let folder = index.deletingLastPathComponent()
        let path = index.path
        let bytes: [UInt8]
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > maxIndexBytes {
                throw FinemixError("\(path): \(size) bytes, more than the \(maxIndexBytes) an index holds")
            }
            bytes = [UInt8](try Data(contentsOf: index))
        } catch let e as FinemixError { throw e } catch {
            throw FinemixError("\(path): cannot read the shard index")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw FinemixError("\(path): not a JSON object (malformed shard index)")
        }
        // A name listed twice would put one tensor in two shards with only one of them seen.
        try HeaderKeys.refuseDuplicates(bytes, path: path)
        guard let map = object["weight_map"] as? [String: Any], !map.isEmpty else {
            throw FinemixError("\(path): has no \"weight_map\" object naming each tensor's shard")
        }

        var byShard: [String: [String]] = [:]
        for (tensor, value) in map {
            guard let file = value as? String else {
                throw FinemixError("\(path): tensor \(tensor): the shard must be a file name, found \(value)")
            }
            try checkInside(file, tensor: tensor, index: path)
            byShard[file, default: []].append(tensor)
        }

        var parts: [SafetensorsFile] = []
        for file in byShard.keys.sorted() {
            let url = folder.appendingPathComponent(file)
            let tensors = byShard[file]!.sorted()
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw FinemixError("\(path): tensor \(tensors[0]) is in shard \(file), which is missing from \(folder.path)")
            }
            let shard = try load(url)
            let stored = Set(shard.entries.values.map(\.storedName))
            if let absent = tensors.first(where: { !stored.contains($0) }) {
                throw FinemixError("\(path): tensor \(absent) should be in shard \(file) by the index, but that file does not hold it")
            }
            let listed = Set(tensors)
            if let extra = stored.sorted().first(where: { !listed.contains($0) }) {
                let elsewhere = (map[extra] as? String).map { "puts it in \($0)" } ?? "does not name it"
                throw FinemixError("\(url.path): holds tensor \(extra), but the index \(index.lastPathComponent) \(elsewhere); the shards and the index disagree")
            }
            parts.append(shard)
        }
        return try SafetensorsFile(combining: parts, url: index, extraFiles: [index], overriding: false)
    }

    /// transformers joins the folder and the name; a name that climbs out of the folder or is
    /// absolute would make finemix read a file the folder does not hold.
    static func checkInside(_ file: String, tensor: String, index: String) throws {
        let parts = file.split(separator: "/", omittingEmptySubsequences: false)
        guard !file.isEmpty, !file.hasPrefix("/"), !file.hasPrefix("~"), !file.contains("\\"), !file.contains("\0"),
              !parts.contains(where: { $0 == ".." || $0.isEmpty || $0 == "." }) else {
            throw FinemixError("\(index): tensor \(tensor) names shard '\(file)', a path outside the model folder; shards must be files in the folder beside the index")
        }
    }
}
