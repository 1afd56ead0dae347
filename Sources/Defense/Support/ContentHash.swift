import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// XXH64 (Yann Collet's xxHash, 64-bit, seed 0): a fast non-cryptographic hash, here to notice
/// that a file's content changed (the journal's input fingerprints), not to resist an attacker.
/// Four independent lanes of 8-byte words keep the multiplier busy: several GB/s, so hashing a
/// BERT-base checkpoint costs a fraction of loading it.
public struct ContentHash {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var v1 = p1 &+ p2, v2 = p2, v3: UInt64 = 0, v4: UInt64 = 0 &- p1
    private var total = 0
    /// Bytes short of a 32-byte stripe, kept for the next update or the tail.
    private var pending: [UInt8] = []

    public init() {}

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }
    @inline(__always) static func merge(_ acc: UInt64, _ v: UInt64) -> UInt64 {
        (acc ^ round(0, v)) &* p1 &+ p4
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        total += bytes.count
        var rest = bytes
        if !pending.isEmpty {
            let take = min(32 - pending.count, rest.count)
            pending.append(contentsOf: rest.prefix(take))
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
            if pending.count < 32 { return }
            pending.withUnsafeBytes { stripes($0) }
            pending.removeAll(keepingCapacity: true)
        }
        let whole = rest.count / 32 * 32
        stripes(UnsafeRawBufferPointer(rebasing: rest.prefix(whole)))
        pending.append(contentsOf: rest.dropFirst(whole))
    }

    /// Consumes `raw`, a multiple of 32 bytes.
    private mutating func stripes(_ raw: UnsafeRawBufferPointer) {
        var (a, b, c, d) = (v1, v2, v3, v4)
        var i = 0
        while i < raw.count {
            a = Self.round(a, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            b = Self.round(b, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)))
            c = Self.round(c, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)))
            d = Self.round(d, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)))
            i += 32
        }
        (v1, v2, v3, v4) = (a, b, c, d)
    }

    public func finish() -> UInt64 {
        var h: UInt64
        if total >= 32 {
            h = Self.rotl(v1, 1) &+ Self.rotl(v2, 7) &+ Self.rotl(v3, 12) &+ Self.rotl(v4, 18)
            h = Self.merge(Self.merge(Self.merge(Self.merge(h, v1), v2), v3), v4)
        } else {
            h = Self.p5
        }
        h &+= UInt64(total)
        pending.withUnsafeBytes { tail in
            var i = 0
            while i + 8 <= tail.count {
                h ^= Self.round(0, UInt64(littleEndian: tail.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                h = Self.rotl(h, 27) &* Self.p1 &+ Self.p4
                i += 8
            }
            if i + 4 <= tail.count {
                h ^= UInt64(UInt32(littleEndian: tail.loadUnaligned(fromByteOffset: i, as: UInt32.self))) &* Self.p1
                h = Self.rotl(h, 23) &* Self.p2 &+ Self.p3
                i += 4
            }
            while i < tail.count {
                h ^= UInt64(tail[i]) &* Self.p5
                h = Self.rotl(h, 11) &* Self.p1
                i += 1
            }
        }
        h ^= h >> 33; h &*= Self.p2
        h ^= h >> 29; h &*= Self.p3
        h ^= h >> 32
        return h
    }

    public static func of(_ bytes: [UInt8]) -> UInt64 {
        var h = ContentHash()
        bytes.withUnsafeBytes { h.update($0) }
        return h.finish()
    }

    /// The hash of a file's bytes, read in 1 MB pieces with read(2) (not mapped: a file cut
    /// short while it is read is an error here, never a signal).
    public static func ofFile(_ url: URL) throws -> (hash: UInt64, size: Int) {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FinemixError.fileSystem(errno: errno, path: url.path, action: "read it to fingerprint it") }
        defer { close(fd) }
        var h = ContentHash()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw FinemixError.fileSystem(errno: errno, path: url.path, action: "read it to fingerprint it")
            }
            if n == 0 { break }
            h.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return (h.finish(), h.total)
    }
}
