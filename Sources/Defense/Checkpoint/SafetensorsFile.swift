import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `.safetensors` file, memory-mapped and validated as a whole before anything sized by the
/// file is allocated.
///
/// Layout: 8-byte little-endian header length N, N bytes of JSON header, then the data region.
/// The header maps tensor names to `{"dtype", "shape", "data_offsets": [begin, end]}` with offsets
/// relative to the data region; `__metadata__` is an optional string→string map.
/// Names are exposed canonically (`bert.` removed); see CheckpointNames.
public final class SafetensorsFile: RangedTensorSource, @unchecked Sendable {
    // @unchecked: the mapping is read-only and never changes after init.

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

    /// Bounds that keep a hostile header from making us allocate: the JSON header is read into
    /// memory, everything else stays in the mapping.
    public static let maxHeaderBytes = 100_000_000
    public static let maxTensors = 1_000_000
    public static let maxRank = 8

    public let url: URL
    public let fileSize: Int
    public let metadata: [String: String]
    /// Keyed by canonical name.
    public let entries: [String: Entry]
    private let base: UnsafeRawPointer

    public init(_ url: URL) throws {
        self.url = url
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FinemixError("\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw FinemixError("\(path): cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FinemixError("\(path): not a regular file") }
        let size = Int(st.st_size)
        fileSize = size
        guard size >= 8 else {
            throw FinemixError("\(path): not a safetensors file: \(size) bytes, shorter than the 8-byte header length")
        }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw FinemixError("\(path): cannot map the file: \(String(cString: strerror(errno)))")
        }
        let raw = UnsafeRawPointer(map)
        do {
            (metadata, entries) = try Self.parse(raw, size: size, path: path)
        } catch {
            munmap(map, size)
            throw error
        }
        base = raw
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), fileSize)
    }

    // MARK: validation

    private static func parse(_ raw: UnsafeRawPointer, size: Int, path: String) throws -> ([String: String], [String: Entry]) {
        let n = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        guard n <= UInt64(maxHeaderBytes) else {
            throw FinemixError("\(path): header length \(n) bytes exceeds the limit of \(maxHeaderBytes) bytes (corrupt or not a safetensors file)")
        }
        let headerLength = Int(n)
        guard headerLength >= 2 else {
            throw FinemixError("\(path): header length \(headerLength) bytes is too short to hold a JSON object")
        }
        guard 8 + headerLength <= size else {
            throw FinemixError("\(path): header length \(headerLength) bytes runs past the end of the \(size)-byte file (truncated?)")
        }
        let dataStart = 8 + headerLength
        let dataSize = size - dataStart
        let headerData = Data(bytes: raw + 8, count: headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw FinemixError("\(path): the header is not well-formed JSON (\(headerLength) bytes)")
        }
        guard let object = json as? [String: Any] else {
            throw FinemixError("\(path): the header must be a JSON object, found \(type(of: json))")
        }
        guard object.count <= maxTensors + 1 else {
            throw FinemixError("\(path): the header lists \(object.count) tensors, more than the limit of \(maxTensors)")
        }

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

        // Overlap: sort by start; each non-empty tensor must begin at or after the previous end.
        let ordered = stored.filter { $0.end > $0.begin }.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        for (a, b) in zip(ordered, ordered.dropFirst()) where b.begin < a.end {
            throw FinemixError("\(path): tensor \(b.storedName) (bytes \(b.begin - dataStart)..<\(b.end - dataStart)) overlaps tensor \(a.storedName) (bytes \(a.begin - dataStart)..<\(a.end - dataStart))")
        }

        let names = try CheckpointNames.canonicalMap(stored.map(\.storedName), file: path)
        let byStored = Dictionary(uniqueKeysWithValues: stored.map { ($0.storedName, $0) })
        let entries = names.mapValues { byStored[$0]! }
        return (metadata, entries)
    }

    /// JSONSerialization hands numbers over as NSNumber; accept only integral values that fit.
    private static func exactInt(_ v: Any) -> Int? {
        // JSON true/false also arrive as NSNumber (and `is Bool` holds for any 0 or 1);
        // JSONSerialization marks booleans with the C type code of char.
        guard let number = v as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let v: Any = number
        if let i = v as? Int { return i }
        if let d = v as? Double, d == d.rounded(), abs(d) < 9.0e15 { return Int(d) }
        return nil
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
        let e = try entry(name, float: true)
        guard e.count == buffer.count else {
            throw FinemixError("\(url.path): tensor \(name) has shape \(e.shape) (\(e.count) values), expected \(buffer.count) values")
        }
        guard let out = buffer.baseAddress else { return }
        convert(e, from: 0, count: e.count, into: out)
    }

    public func withFloats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                              _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        let e = try entry(name, float: true)
        guard range.lowerBound >= 0, range.upperBound <= e.count else {
            throw FinemixError("\(url.path): tensor \(name): range \(range) is outside its \(e.count) values")
        }
        if range.isEmpty { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        let start = base + e.begin + range.lowerBound * e.dtype.size
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
        let e = try entry(name, float: false)
        let p = base + e.begin
        return (0..<e.count).map { Int64(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
    }

    private func convert(_ e: Entry, from first: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let p = base + e.begin + first * e.dtype.size
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

    /// Asks the kernel to read ahead: analyses touch every page once, in order.
    public func adviseSequential() {
        let p = UnsafeMutableRawPointer(mutating: base)
        _ = madvise(p, fileSize, MADV_SEQUENTIAL)
        _ = madvise(p, fileSize, MADV_WILLNEED)
    }
}
