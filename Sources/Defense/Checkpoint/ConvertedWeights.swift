import Foundation

/// Tensors from another format (a torch pickle, a LoRA merge) laid out as a safetensors image in
/// memory and parsed by SafetensorsFile's own rules, so nothing downstream needs a second reader.
enum ConvertedWeights {
    struct Tensor {
        var name: String
        var dtype: SafetensorsFile.DType
        var shape: [Int]
        /// Writes exactly count × dtype.size bytes at the pointer.
        var fill: (UnsafeMutableRawPointer) throws -> Void
        var byteCount: Int { shape.reduce(1, *) * dtype.size }
    }

    /// `url` is the file the tensors came from (named in every later message).
    static func make(_ tensors: [Tensor], from url: URL, metadata: [String: String] = [:], family: ModelFamily = .bert) throws -> SafetensorsFile {
        // Widest element first, so every tensor starts aligned to its element size in the
        // 64-byte aligned buffer (the F32 fast path reads in place only when 4-aligned).
        let ordered = tensors.sorted { ($0.dtype.size, $1.name) > ($1.dtype.size, $0.name) }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for t in ordered {
            let (end, overflow) = offset.addingReportingOverflow(t.byteCount)
            guard !overflow else { throw FinemixError("\(url.path): tensor \(t.name) is too large") }
            header[t.name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, end]]
            offset = end
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let data = UnsafeMutableRawPointer.allocate(byteCount: max(offset, 1), alignment: 64)
        do {
            var at = 0
            for t in ordered {
                try t.fill(data + at)
                at += t.byteCount
            }
        } catch {
            data.deallocate()
            throw error
        }
        return try SafetensorsFile(convertedFrom: url, header: [UInt8](json), data: data, dataSize: offset, family: family)
    }
}
