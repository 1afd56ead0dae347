import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `.safetensors` file, validated as a whole before anything sized by the file is allocated,
/// then read into memory finemix owns.
///
/// Layout: 8-byte little-endian header length N, N bytes of JSON header, then the data region.
/// The header maps tensor names to `{"dtype", "shape", "data_offsets": [begin, end]}` with offsets
/// relative to the data region; `__metadata__` is an optional string→string map.
/// Names are exposed canonically (`bert.` removed, other families mapped); see CheckpointNames.
///
/// The rules are the reference implementation's (huggingface/safetensors, `read_metadata` and
/// `validate`): the header is UTF-8 JSON starting with `{` (trailing spaces allowed), and the
/// tensors, sorted by offset, cover the data region from 0 to its end with no hole and no overlap.
///
/// Why not a memory map: a file copied over or truncated while it is mapped kills the process
/// with SIGBUS on the next touch (MAP_PRIVATE does not help: pages not yet copied still come
/// from the file). Reading the data region once costs a copy of the file in memory, about what
/// the mapped pages cost once touched, and no later change to the file can reach a loaded model.
///
/// The other weight files finemix reads end up in this form too, so every later step sees one
/// kind of source: a torch pickle's state dict is converted into a safetensors image in memory and
/// parsed by the same rules (TorchBin), and shards are combined into one source that refuses a
/// tensor found twice (ShardedSafetensors, LoraAdapter). `files` lists every file that was read.
public final class SafetensorsFile: RangedTensorSource, @unchecked Sendable {
    // @unchecked: the data is read once in init and never written after.

    public enum DType: String, Sendable, CaseIterable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64"
        public var size: Int { self == .f32 ? 4 : self == .i64 ? 8 : 2 }
        public var isFloat: Bool { self != .i64 }
    }

    public struct Entry: Sendable {
        public let storedName: String
        public let dtype: DType
        public let shape: [Int]
        public let count: Int
        /// Absolute byte offsets in the file.
        public let begin: Int
        public let end: Int
    }

    /// Bounds that keep a hostile header from making us allocate: the header is read and checked
    /// first, the data region is allocated only once the header accounts for every byte of it.
    public static let maxHeaderBytes = 100_000_000
    public static let maxTensors = 1_000_000
    public static let maxRank = 8

    public let url: URL
    public let fileSize: Int
    public let metadata: [String: String]
    /// Keyed by canonical name.
    public let entries: [String: Entry]
    /// The data region (file bytes dataStart..<fileSize), 64-byte aligned.
    private let data: UnsafeMutableRawPointer
    private let dataStart: Int
    /// Every file these tensors were read from (the index and each shard when sharded).
    public let files: [URL]
    /// Combined sources only: canonical name → the part holding it (empty for a single file).
    private let owners: [String: SafetensorsFile]

    /// `family` decides the canonical names (see ModelFamily.canonical); tensors its classifier
    /// does not use are validated with the file but not exposed.
    public init(_ url: URL, family: ModelFamily = .bert) throws {
        self.url = url
        files = [url]
        owners = [:]
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FinemixError("\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let before = try Self.status(fd, path: path)
        guard (before.st_mode & S_IFMT) == S_IFREG else { throw FinemixError("\(path): not a regular file") }
        let size = Int(before.st_size)
        fileSize = size
        guard size >= 8 else {
            throw FinemixError("\(path): not a safetensors file: \(size) bytes, shorter than the 8-byte header length")
        }
        var n: UInt64 = 0
        try withUnsafeMutableBytes(of: &n) { try Self.readFully(fd, into: $0.baseAddress!, count: 8, at: 0, path: path) }
        n = UInt64(littleEndian: n)
        guard n <= UInt64(Self.maxHeaderBytes) else {
            throw FinemixError("\(path): header length \(n) bytes exceeds the limit of \(Self.maxHeaderBytes) bytes (corrupt or not a safetensors file)")
        }
        let headerLength = Int(n)
        guard headerLength >= 2 else {
            throw FinemixError("\(path): header length \(headerLength) bytes is too short to hold a JSON object")
        }
        guard 8 + headerLength <= size else {
            throw FinemixError("\(path): header length \(headerLength) bytes runs past the end of the \(size)-byte file (truncated?)")
        }
        var header = [UInt8](repeating: 0, count: headerLength)
        try header.withUnsafeMutableBytes { try Self.readFully(fd, into: $0.baseAddress!, count: headerLength, at: 8, path: path) }
        dataStart = 8 + headerLength
        (metadata, entries) = try Self.parse(header, dataStart: dataStart, dataSize: size - dataStart, path: path, family: family)

        let dataSize = size - dataStart
        data = UnsafeMutableRawPointer.allocate(byteCount: max(dataSize, 1), alignment: 64)
        do {
            try Self.readFully(fd, into: data, count: dataSize, at: dataStart, path: path)
            let after = try Self.status(fd, path: path)
            guard after.st_size == before.st_size, after.st_mtim.tv_sec == before.st_mtim.tv_sec,
                  after.st_mtim.tv_nsec == before.st_mtim.tv_nsec else {
                throw FinemixError("\(path): the file changed while finemix was reading it; load it again once it is written")
            }
        } catch {
            data.deallocate()
            throw error
        }
    }

    /// Tensors converted in memory from another format: `header` is a safetensors JSON header
    /// describing `data` (`dataSize` bytes, allocated by the caller with 64-byte alignment; this
    /// object takes it over and frees it). Parsed and checked exactly as a file's header is.
    init(convertedFrom url: URL, header: [UInt8], data: UnsafeMutableRawPointer, dataSize: Int, family: ModelFamily = .bert) throws {
        self.url = url
        files = [url]
        owners = [:]
        dataStart = 8 + header.count
        fileSize = dataStart + dataSize
        self.data = data
        do {
            (metadata, entries) = try Self.parse(header, dataStart: dataStart, dataSize: dataSize, path: url.path, family: family)
        } catch {
            data.deallocate()
            throw error
        }
    }

    /// One source over several parts (the shards of one checkpoint, or merged tensors over a
    /// base). With `overriding` false a tensor in two parts is refused, naming both files; with
    /// it true the earlier part wins (a LoRA merge over its base model). `url` is what the
    /// combination is known by (the index file); `files` are `extraFiles` plus every part's.
    init(combining parts: [SafetensorsFile], url: URL, extraFiles: [URL], overriding: Bool) throws {
        self.url = url
        var entries: [String: Entry] = [:]
        var owners: [String: SafetensorsFile] = [:]
        var metadata: [String: String] = [:]
        for part in parts {
            for (name, e) in part.entries {
                let owner = part.owners[name] ?? part
                if let other = owners[name] {
                    if overriding { continue }
                    throw FinemixError("\(url.path): tensor \(name) is stored twice, in \(other.url.lastPathComponent) and in \(owner.url.lastPathComponent); a checkpoint's shards must hold each tensor once")
                }
                entries[name] = e
                owners[name] = owner
            }
            metadata.merge(part.metadata) { first, _ in first }
        }
        self.entries = entries
        self.owners = owners
        self.metadata = metadata
        files = extraFiles + parts.flatMap(\.files)
        fileSize = parts.reduce(0) { $0 + $1.fileSize }
        dataStart = 0
        data = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)
    }

    deinit { data.deallocate() }

    private static func status(_ fd: Int32, path: String) throws -> stat {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw FinemixError("\(path): cannot stat: \(String(cString: strerror(errno)))")
        }
        return st
    }

    /// `count` bytes at `offset`, or a sentence saying the file got shorter under us.
    private static func readFully(_ fd: Int32, into out: UnsafeMutableRawPointer, count: Int, at offset: Int, path: String) throws {
        var done = 0
        while done < count {
            let r = pread(fd, out + done, min(count - done, 1 << 28), off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                throw FinemixError("\(path): cannot read: \(String(cString: strerror(errno)))")
            }
            if r == 0 {
                throw FinemixError("\(path): the file changed while finemix was reading it (it ends at byte \(offset + done), expected \(offset + count)); load it again once it is written")
            }
            done += r
        }
    }

    // MARK: validation

    private static func parse(_ header: [UInt8], dataStart: Int, dataSize: Int, path: String, family: ModelFamily) throws -> ([String: String], [String: Entry]) {
        let size = dataStart + dataSize
        let headerLength = header.count
        // The reference decodes the header as UTF-8 and parses it as text; Foundation would also
        // guess UTF-16 or UTF-32 from the first bytes, so those are refused here first.
        guard header.first == UInt8(ascii: "{") else {
            throw FinemixError("\(path): the header must start with '{' (safetensors InvalidHeaderStart), found byte 0x\(String(header[0], radix: 16))")
        }
        guard String(validating: header, as: UTF8.self) != nil else {
            throw FinemixError("\(path): the header is not valid UTF-8 (\(headerLength) bytes)")
        }
        if let nul = header.firstIndex(of: 0) {
            throw FinemixError("\(path): the header holds a NUL byte at byte \(8 + nul); JSON text cannot (the spec pads a header with spaces only)")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(header))
        } catch {
            throw FinemixError("\(path): the header is not well-formed JSON (\(headerLength) bytes)")
        }
        guard let object = json as? [String: Any] else {
            throw FinemixError("\(path): the header must be a JSON object, found \(type(of: json))")
        }
        guard object.count <= maxTensors + 1 else {
            throw FinemixError("\(path): the header lists \(object.count) tensors, more than the limit of \(maxTensors)")
        }
        try HeaderKeys.refuseDuplicates(header, path: path)

        var metadata: [String: String] = [:]
        if let meta = object["__metadata__"] {
            guard let m = meta as? [String: Any] else {
                throw FinemixError("\(path): __metadata__ must be an object of strings")
            }
            for (k, v) in m {
                guard let s = v as? String else {
                    throw FinemixError("\(path): __metadata__ value for '\(k)' must be a string")
                }
                metadata[k] = s
            }
        }

        var stored: [Entry] = []
        stored.reserveCapacity(object.count)
        for (name, value) in object where name != "__metadata__" {
            let here = "\(path): tensor \(name)"
            guard let info = value as? [String: Any] else { throw FinemixError("\(here): entry must be a JSON object") }
            guard let dtypeName = info["dtype"] as? String else { throw FinemixError("\(here): missing string field 'dtype'") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw FinemixError("\(here): unsupported dtype '\(dtypeName)' (finemix reads \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let shapeValues = info["shape"] as? [Any] else { throw FinemixError("\(here): missing array field 'shape'") }
            guard shapeValues.count <= maxRank else {
                throw FinemixError("\(here): rank \(shapeValues.count) exceeds the limit of \(maxRank)")
            }
            var shape: [Int] = []
            var count = 1
            for v in shapeValues {
                guard let d = exactInt(v), d >= 0 else {
                    throw FinemixError("\(here): shape \(describe(shapeValues)) must hold non-negative integers")
                }
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= size else {
                    throw FinemixError("\(here): shape \(describe(shapeValues)) has more elements than the \(size)-byte file can hold")
                }
                shape.append(d); count = product
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = exactInt(offsets[0]), let end = exactInt(offsets[1]) else {
                throw FinemixError("\(here): 'data_offsets' must be two integers [begin, end]")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw FinemixError("\(here): data_offsets [\(begin), \(end)] are outside the data region of \(dataSize) bytes")
            }
            let span = end - begin
            guard count * dtype.size == span else {
                throw FinemixError("\(here): shape \(shape) × \(dtype.size) bytes (\(dtype.rawValue)) = \(count * dtype.size) bytes, but data_offsets span \(span) bytes")
            }
            stored.append(Entry(storedName: name, dtype: dtype, shape: shape, count: count,
                                begin: dataStart + begin, end: dataStart + end))
        }

        // Sorted by offset, the tensors must tile the data region: each begins where the previous
        // ended (an earlier start overlaps, a later one leaves a hole), the last ends at its end.
        let ordered = stored.sorted { ($0.begin, $0.end, $0.storedName) < ($1.begin, $1.end, $1.storedName) }
        var covered = dataStart
        var previous: Entry?
        for e in ordered {
            if e.begin < covered, let a = previous {
                throw FinemixError("\(path): tensor \(e.storedName) (bytes \(e.begin - dataStart)..<\(e.end - dataStart)) overlaps tensor \(a.storedName) (bytes \(a.begin - dataStart)..<\(a.end - dataStart))")
            }
            if e.begin > covered {
                let after = previous.map { " after tensor \($0.storedName)" } ?? ""
                throw FinemixError("\(path): tensor \(e.storedName) begins at byte \(e.begin - dataStart) of the data region, leaving bytes \(covered - dataStart)..<\(e.begin - dataStart)\(after) unused; safetensors requires the tensors to cover the data region without holes (InvalidOffset)")
            }
            covered = e.end
            previous = e
        }
        if covered != size {
            let last = previous.map { "the last tensor, \($0.storedName), ends at byte \(covered - dataStart)" } ?? "no tensor covers it"
            throw FinemixError("\(path): the data region holds \(dataSize) bytes but \(last); safetensors requires the data to end exactly with the last tensor (MetadataIncompleteBuffer)")
        }

        let names = try CheckpointNames.canonicalMap(stored.map(\.storedName), file: path, family: family)
        let byStored = Dictionary(uniqueKeysWithValues: stored.map { ($0.storedName, $0) })
        let entries = names.mapValues { byStored[$0]! }
        return (metadata, entries)
    }

    /// JSONSerialization hands numbers over as NSNumber; accept only integral values that fit.
    private static func exactInt(_ v: Any) -> Int? {
        // JSON true/false also arrive as NSNumber (and `is Bool` holds for any 0 or 1);
        // JSONSerialization marks booleans with the C type code of char.
        guard let number = v as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        // The reference reads offsets and dimensions as usize: "4.0" and "4e0" are refused, as are
        // values past Int64 (Foundation hands those over as Double or UInt64).
        let type = String(cString: number.objCType)
        guard type != "d", type != "f" else { return nil }
        let v: Any = number
        return v as? Int
    }

    private static func describe(_ values: [Any]) -> String {
        "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
    }

    // MARK: access

    /// Canonical names of the floating-point tensors, sorted.
    public var tensorNames: [String] { entries.filter { $0.value.dtype.isFloat }.keys.sorted() }
    /// Canonical names of the integer tensors (e.g. `embeddings.position_ids`), sorted.
    public var integerTensorNames: [String] { entries.filter { !$0.value.dtype.isFloat }.keys.sorted() }

    public func shape(of name: String) -> [Int]? { entries[name]?.shape }
    public func dtype(of name: String) -> DType? { entries[name]?.dtype }

    private func entry(_ name: String, float: Bool) throws -> Entry {
        guard let e = entries[name] else { throw FinemixError("\(url.path): tensor \(name) is missing") }
        guard e.dtype.isFloat == float else {
            throw FinemixError("\(url.path): tensor \(name) is \(e.dtype.rawValue), expected \(float ? "a floating-point" : "an integer") tensor")
        }
        return e
    }

    public func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        if let part = owners[name] { return try part.readFloats(name, into: buffer) }
        let e = try entry(name, float: true)
        guard e.count == buffer.count else {
            throw FinemixError("\(url.path): tensor \(name) has shape \(e.shape) (\(e.count) values), expected \(buffer.count) values")
        }
        guard let out = buffer.baseAddress else { return }
        convert(e, from: 0, count: e.count, into: out)
    }

    public func withFloats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                              _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        if let part = owners[name] { return try part.withFloats(name, in: range, scratch: scratch, body) }
        let e = try entry(name, float: true)
        guard range.lowerBound >= 0, range.upperBound <= e.count else {
            throw FinemixError("\(url.path): tensor \(name): range \(range) is outside its \(e.count) values")
        }
        if range.isEmpty { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        let start = UnsafeRawPointer(data) + (e.begin - dataStart) + range.lowerBound * e.dtype.size
        // F32 at a 4-aligned address (the usual case: HF pads the header to 8 bytes) is used in place.
        if e.dtype == .f32, Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
            return try body(UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: range.count))
        }
        guard scratch.count >= range.count else {
            throw FinemixError("tensor \(name): scratch of \(scratch.count) values is smaller than the range of \(range.count)")
        }
        convert(e, from: range.lowerBound, count: range.count, into: scratch.baseAddress!)
        return try body(UnsafeBufferPointer(start: scratch.baseAddress, count: range.count))
    }

    /// An integer tensor's values (I64), e.g. `embeddings.position_ids`.
    public func int64s(_ name: String) throws -> [Int64] {
        if let part = owners[name] { return try part.int64s(name) }
        let e = try entry(name, float: false)
        let p = UnsafeRawPointer(data) + (e.begin - dataStart)
        return (0..<e.count).map { Int64(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
    }

    private func convert(_ e: Entry, from first: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let p = UnsafeRawPointer(data) + (e.begin - dataStart) + first * e.dtype.size
        switch e.dtype {
        case .f32:
            memcpy(out, p, count * 4)
        case .f16:
            for i in 0..<count { out[i] = Self.halfToFloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16:
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case .i64:
            break
        }
    }

    /// IEEE 754 binary16 → binary32 in plain integer arithmetic (no dependence on Float16 support).
    @inline(__always)
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1f
        var mant = UInt32(h) & 0x3ff
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            // subnormal: normalise
            var e: UInt32 = 127 - 15 + 1
            while mant & 0x400 == 0 { mant <<= 1; e -= 1 }
            mant &= 0x3ff
            return Float(bitPattern: sign | (e << 23) | (mant << 13))
        }
        if exp == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | ((exp + 127 - 15) << 23) | (mant << 13))
    }
}
