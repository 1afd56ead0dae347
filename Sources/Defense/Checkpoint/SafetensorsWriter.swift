import Foundation

/// Writes F32 `.safetensors` files through AtomicFile (temporary file, fsync, rename).
///
/// Tensors go in sorted stored-name order, packed back to back from offset 0; the JSON header is
/// padded with spaces to a multiple of 8 bytes, as HuggingFace's writer does, so every F32 tensor
/// starts 4-aligned in the file and readers can use the mapping in place.
public enum SafetensorsWriter {
    /// Values stream through a buffer of this many floats, so writing never holds a second copy
    /// of a large tensor.
    static let chunk = 1 << 20

    public static func write(_ tensors: [NamedTensor], metadata: [String: String] = [:], to url: URL) throws {
        var seen = Set<String>()
        for t in tensors {
            guard seen.insert(t.name).inserted else { throw FinemixError("\(url.path): tensor \(t.name) is given twice") }
            let count = t.shape.reduce(1, *)
            guard t.shape.allSatisfy({ $0 >= 0 }), count == t.values.count else {
                throw FinemixError("\(url.path): tensor \(t.name) has shape \(t.shape) but \(t.values.count) values")
            }
        }
        try write(TensorDictionary(tensors), names: tensors.map(\.name), storedName: { $0 },
                  metadata: metadata, to: url)
    }

    /// Writes `names` from `source`, each stored as `storedName(name)`. `transformers` refuses a
    /// safetensors file whose metadata has no `format`, so `"format": "pt"` is added when absent.
    public static func write(_ source: any TensorSource, names: [String], storedName: (String) -> String,
                             metadata: [String: String] = [:], to url: URL) throws {
        struct Item { let name: String; let stored: String; let shape: [Int]; let count: Int; let begin: Int }
        var items: [Item] = []
        var offset = 0
        var storedSeen = Set<String>()
        for name in names.sorted(by: { storedName($0) < storedName($1) }) {
            guard let shape = source.shape(of: name) else { throw FinemixError("\(url.path): tensor \(name) is missing from the source") }
            let stored = storedName(name)
            guard storedSeen.insert(stored).inserted else {
                throw FinemixError("\(url.path): two tensors would both be stored as \(stored)")
            }
            let count = shape.reduce(1, *)
            items.append(Item(name: name, stored: stored, shape: shape, count: count, begin: offset))
            offset += count * 4
        }

        var meta = metadata
        if meta["format"] == nil { meta["format"] = "pt" }
        var header = "{\"__metadata__\":{"
        header += meta.keys.sorted().map { "\(quote($0)):\(quote(meta[$0]!))" }.joined(separator: ",")
        header += "}"
        for item in items {
            header += ",\(quote(item.stored)):{\"dtype\":\"F32\",\"shape\":[\(item.shape.map(String.init).joined(separator: ","))],"
            header += "\"data_offsets\":[\(item.begin),\(item.begin + item.count * 4)]}"
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var scratch = [Float](repeating: 0, count: chunk)
        try AtomicFile.write(to: url) { fd in
            var length = UInt64(headerBytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try AtomicFile.writeAll(fd, $0, path: url.path) }
            try headerBytes.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: url.path) }
            for item in items {
                if source is any RangedTensorSource {
                    var first = 0
                    while first < item.count {
                        let range = first..<min(item.count, first + chunk)
                        try scratch.withUnsafeMutableBufferPointer { s in
                            try source.floats(item.name, in: range, scratch: s) { values in
                                try AtomicFile.writeAll(fd, UnsafeRawBufferPointer(values), path: url.path)
                            }
                        }
                        first = range.upperBound
                    }
                } else {
                    var all = [Float](repeating: 0, count: item.count)
                    try all.withUnsafeMutableBufferPointer { try source.readFloats(item.name, into: $0) }
                    try all.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: url.path) }
                }
            }
        }
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
