import Foundation

/// `pytorch_model.bin` as `torch.save` writes it since torch 1.6: a zip archive
///
///     archive/data.pkl        the state dict, pickled; tensors refer to storages by key
///     archive/data/0, 1, …    each storage's raw bytes (little-endian)
///     archive/byteorder, archive/version, …
///
/// (the top folder is the saved file's stem, or `archive`; torch takes it from the first entry,
/// and so does this). The pickle is run by TorchPickle, which builds tensors and nothing else;
/// each tensor is then copied out of its storage by its offset and strides into a safetensors
/// image in memory, checked by the same rules as a `.safetensors` file.
enum TorchBin {
    /// Zip's deflate cannot expand data more than about 1032 times; a larger claimed ratio is a lie.
    static let maxDeflateRatio: UInt64 = 1032
    static let maxEntries = 2_000_000

    static func read(_ url: URL, family: ModelFamily = .bert) throws -> SafetensorsFile {
        let path = url.path
        try checkZipMagic(url)
        let zip = try TorchArchive(url)
        if zip.has("byteorder") {
            let b = try zip.bytes("byteorder", expected: nil, limit: 16)
            defer { b.deallocate() }
            guard String(decoding: b, as: UTF8.self) == "little" else {
                throw FinemixError("\(path): was saved on a big-endian machine (byteorder '\(String(decoding: b, as: UTF8.self))'); finemix reads little-endian storages only")
            }
        }
        let pickleBytes = try zip.bytes("data.pkl", expected: nil, limit: TorchPickle.maxPickleBytes)
        let pickle = [UInt8](pickleBytes)
        pickleBytes.deallocate()
        let pickleName = "\(path) (\(zip.prefix)data.pkl)"
        let tensors = try stateDict(try TorchPickle.load(pickle, file: pickleName), file: pickleName)
        let fileSize = zip.fileSize

        // Each storage is read once, however many tensors view it.
        var storages: [String: UnsafeMutableRawBufferPointer] = [:]
        defer { for s in storages.values { s.deallocate() } }
        var total = 0
        var converted: [ConvertedWeights.Tensor] = []
        for (name, t) in tensors {
            guard let dtype = t.storage.dtype else {
                throw FinemixError("\(path): tensor \(name) is stored as torch.\(t.storage.type); finemix reads float32, float16 and bfloat16 weights (and int64 buffers)")
            }
            let count = try checkView(t, name: name, path: path)
            total += count * dtype.size
            guard total <= 4 * max(fileSize, 1 << 20) else {
                throw FinemixError("\(path): tensor \(name) brings the tensors' size past four times the file's \(fileSize) bytes; its views repeat storage values more than a state dict does")
            }
            if storages[t.storage.key] == nil {
                let (n, overflow) = t.storage.count.multipliedReportingOverflow(by: dtype.size)
                guard !overflow, n <= fileSize &* Int(maxDeflateRatio) else {
                    throw FinemixError("\(path): storage \(t.storage.key) of tensor \(name) claims \(t.storage.count) values, more than the file can hold")
                }
                storages[t.storage.key] = try zip.bytes("data/" + t.storage.key, expected: n, limit: n)
            }
            let source = UnsafeRawPointer(storages[t.storage.key]!.baseAddress!)
            converted.append(ConvertedWeights.Tensor(name: name, dtype: dtype, shape: t.size) { out in
                copyView(t, elementSize: dtype.size, from: source, to: out)
            })
        }
        return try ConvertedWeights.make(converted, from: url, family: family)
    }

    /// torch.save's zip begins with a local file header; the format before torch 1.6 began with
    /// a pickled magic number, and that format is not read.
    static func checkZipMagic(_ url: URL) throws {
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw FinemixError("\(url.path): cannot open")
        }
        defer { try? h.close() }
        let head = [UInt8]((try? h.read(upToCount: 4)) ?? Data())
        if head == [0x50, 0x4b, 0x03, 0x04] { return }
        if head.first == 0x80 {
            throw FinemixError("\(url.path): is in torch's legacy format (before torch 1.6, not a zip archive), which finemix does not read; load it once with torch where you trust it and save it with torch.save or as model.safetensors")
        }
        throw FinemixError("\(url.path): is not a torch.save zip archive (it does not begin with a zip header)")
    }

    /// The top-level dict of tensors, by name, in the pickle's order.
    static func stateDict(_ v: TorchPickle.Value, file: String) throws -> [(String, TorchPickle.Tensor)] {
        guard case .container(let d) = v, d.isDict else {
            throw FinemixError("\(file): holds \(v.kind), not a state dict (a dict of tensors)")
        }
        guard d.items.count <= SafetensorsFile.maxTensors else {
            throw FinemixError("\(file): holds \(d.items.count) entries, more than the limit of \(SafetensorsFile.maxTensors)")
        }
        var out: [(String, TorchPickle.Tensor)] = []
        var seen = Set<String>()
        for (k, value) in zip(d.keys, d.items) {
            guard case .string(let name) = k else { throw FinemixError("\(file): a state dict key is \(k.kind), not a tensor name") }
            guard case .tensor(let t) = value else {
                throw FinemixError("\(file): entry \(name) is \(value.kind), not a tensor; finemix reads a state dict of tensors")
            }
            guard seen.insert(name).inserted else { throw FinemixError("\(file): tensor \(name) is set twice") }
            out.append((name, t))
        }
        return out
    }

    /// The number of values the view has, after checking it stays inside its storage.
    static func checkView(_ t: TorchPickle.Tensor, name: String, path: String) throws -> Int {
        var count = 1, last = t.offset
        for (d, s) in zip(t.size, t.stride) {
            let (c, o1) = count.multipliedReportingOverflow(by: d)
            let (reach, o2) = max(d - 1, 0).multipliedReportingOverflow(by: s)
            let (l, o3) = last.addingReportingOverflow(reach)
            guard !o1, !o2, !o3 else { throw FinemixError("\(path): tensor \(name) has size \(t.size) and stride \(t.stride) too large to address") }
            count = c; last = l
        }
        guard count == 0 || last < t.storage.count else {
            throw FinemixError("\(path): tensor \(name) (size \(t.size), stride \(t.stride), offset \(t.offset)) reaches value \(last) of storage \(t.storage.key), which holds \(t.storage.count)")
        }
        guard count <= t.storage.count else {
            throw FinemixError("\(path): tensor \(name) has \(count) values but views a storage of \(t.storage.count)")
        }
        return count
    }

    /// Row-major copy of a strided view: out[i0, …, in] = storage[offset + Σ i_k · stride_k].
    static func copyView(_ t: TorchPickle.Tensor, elementSize e: Int, from storage: UnsafeRawPointer, to out: UnsafeMutableRawPointer) {
        let rank = t.size.count
        let count = t.size.reduce(1, *)
        guard count > 0 else { return }
        // Contiguous (row-major strides, size-1 dimensions ignored): one copy.
        var expect = 1, contiguous = true
        for k in stride(from: rank - 1, through: 0, by: -1) where t.size[k] != 1 {
            if t.stride[k] != expect { contiguous = false; break }
            expect *= t.size[k]
        }
        if contiguous {
            memcpy(out, storage + t.offset * e, count * e)
            return
        }
        var index = [Int](repeating: 0, count: rank)
        var written = 0
        while written < count {
            var at = t.offset
            for k in 0..<rank { at += index[k] * t.stride[k] }
            memcpy(out + written * e, storage + at * e, e)
            written += 1
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < t.size[k] { break }
                index[k] = 0; k -= 1
            }
        }
    }
}
