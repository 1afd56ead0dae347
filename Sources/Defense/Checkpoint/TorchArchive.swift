import Foundation
import ZIPFoundation

/// The zip archive of a `torch.save` file, opened for reading its entries by their names under
/// the top folder. Every size an entry claims is checked against what the file can hold before
/// anything is allocated, since the file is untrusted.
struct TorchArchive {
    let path: String
    /// The top folder with its slash (`archive/`, or the saved file's stem).
    let prefix: String
    let fileSize: Int
    private let archive: Archive
    private let entries: [String: Entry]

    init(_ url: URL) throws {
        path = url.path
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw FinemixError("\(path): not a readable zip archive, so not a torch.save file (it may be truncated)")
        }
        var entries: [String: Entry] = [:]
        var first: String?
        for entry in archive {
            guard entries.count < TorchBin.maxEntries else { throw FinemixError("\(path): holds more than \(TorchBin.maxEntries) zip entries") }
            if first == nil { first = entry.path }
            entries[entry.path] = entry
        }
        // torch takes the top folder from the first entry, and so does this.
        guard let first, let slash = first.firstIndex(of: "/") else {
            throw FinemixError("\(path): its zip entries are not in a top folder, as torch.save writes them")
        }
        self.entries = entries
        prefix = String(first[...slash])
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    func has(_ name: String) -> Bool { entries[prefix + name] != nil }

    /// The entry's bytes in a buffer the caller deallocates: exactly `expected` bytes when given,
    /// at most `limit`, CRC-checked.
    func bytes(_ name: String, expected: Int?, limit: Int) throws -> UnsafeMutableRawBufferPointer {
        let full = prefix + name
        guard let e = entries[full], e.type == .file else {
            throw FinemixError("\(path): has no \(full); a torch.save archive holds it")
        }
        let size = e.uncompressedSize
        if let expected, size != UInt64(expected) {
            throw FinemixError("\(path): \(full) holds \(size) bytes, but the pickle says \(expected)")
        }
        guard size <= UInt64(limit), !e.isCompressed || size <= e.compressedSize &* TorchBin.maxDeflateRatio &+ 1024,
              e.isCompressed || size == e.compressedSize else {
            throw FinemixError("\(path): \(full) claims \(size) bytes from \(e.compressedSize) stored, which its zip file of \(fileSize) bytes cannot hold")
        }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Int(size), 1), alignment: 64)
        var filled = 0
        do {
            let crc = try archive.extract(e, skipCRC32: e.checksum == 0) { chunk in
                guard filled + chunk.count <= Int(size) else {
                    throw FinemixError("\(path): \(full) holds more bytes than its zip entry declares")
                }
                chunk.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: out[filled..<(filled + chunk.count)]))
                filled += chunk.count
            }
            guard filled == Int(size) else {
                throw FinemixError("\(path): \(full) ends after \(filled) of its \(size) bytes (truncated?)")
            }
            guard e.checksum == 0 || crc == e.checksum else {
                throw FinemixError("\(path): \(full) fails its CRC-32 check; the file is corrupt")
            }
        } catch let error as FinemixError {
            out.deallocate(); throw error
        } catch {
            out.deallocate()
            throw FinemixError("\(path): cannot read \(full) from the zip archive (corrupt or truncated)")
        }
        return UnsafeMutableRawBufferPointer(rebasing: out[0..<Int(size)])
    }
}
