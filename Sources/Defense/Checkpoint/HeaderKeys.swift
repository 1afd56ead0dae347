import Foundation

/// Duplicate keys in a safetensors header. JSONSerialization keeps one of two equal keys
/// silently, so a header could name a tensor twice and finemix and another reader would load
/// different bytes under one name. The spec disallows duplicate keys; this finds them.
enum HeaderKeys {
    /// `header` has already parsed as JSON, so the scan can trust its structure: it only tracks
    /// strings, nesting, and whether the next string in an object is a key.
    static func refuseDuplicates(_ header: [UInt8], path: String) throws {
        struct Frame { var isObject: Bool; var expectKey: Bool; var keys: Set<String>; var lastKey: String }
        var stack: [Frame] = []
        var i = 0
        while i < header.count {
            let c = header[i]
            switch c {
            case UInt8(ascii: "{"):
                stack.append(Frame(isObject: true, expectKey: true, keys: [], lastKey: ""))
            case UInt8(ascii: "["):
                stack.append(Frame(isObject: false, expectKey: false, keys: [], lastKey: ""))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                stack.removeLast()
            case UInt8(ascii: ","):
                if stack.last?.isObject == true { stack[stack.count - 1].expectKey = true }
            case UInt8(ascii: ":"):
                stack[stack.count - 1].expectKey = false
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while header[i] != UInt8(ascii: "\"") { i += header[i] == UInt8(ascii: "\\") ? 2 : 1 }
                if let top = stack.last, top.isObject, top.expectKey {
                    let key = decode(Array(header[start...i]))
                    if top.keys.contains(key) {
                        // depth 1 holds tensors, depth 2 a tensor's fields (or __metadata__'s keys)
                        let owner = stack.count >= 2 ? stack[stack.count - 2].lastKey : nil
                        let what = owner.map { "'\($0)' has the key '\(key)' twice" } ?? "tensor \(key) appears twice"
                        throw FinemixError("\(path): \(what) in the header; safetensors disallows duplicate keys")
                    }
                    stack[stack.count - 1].keys.insert(key)
                    stack[stack.count - 1].lastKey = key
                }
            default:
                break
            }
            i += 1
        }
    }

    /// A JSON string literal (quotes included) as its value, escapes resolved.
    private static func decode(_ literal: [UInt8]) -> String {
        guard literal.contains(UInt8(ascii: "\\")) else { return String(decoding: literal.dropFirst().dropLast(), as: UTF8.self) }
        let wrapped = Data([UInt8(ascii: "[")] + literal + [UInt8(ascii: "]")])
        return ((try? JSONSerialization.jsonObject(with: wrapped)) as? [String])?.first
            ?? String(decoding: literal, as: UTF8.self)
    }
}
