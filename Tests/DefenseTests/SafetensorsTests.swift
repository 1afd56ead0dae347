import Foundation
import Testing
@testable import Defense
import TestSupport

/// Builds safetensors files byte by byte, so every malformed variant can be produced.
enum RawSafetensors {
    static func bytes(headerLength: UInt64? = nil, header: String, data: [UInt8] = []) -> Data {
        var out = Data()
        var n = (headerLength ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }
}

/// Opens `data` as a safetensors file and returns the error message it must fail with.
func safetensorsError(_ data: Data, in dir: TempDir = TempDir()) throws -> String {
    let url = try dir.file("bad.safetensors", data)
    do {
        _ = try SafetensorsFile(url)
    } catch let e as FinemixError {
        #expect(e.message.contains(url.path), "message must name the file: \(e.message)")
        return e.message
    }
    Issue.record("opening the file should have failed")
    return ""
}

@Suite struct SafetensorsTests {
    @Test func roundTripF32InSortedOrderWithAlignedHeader() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("m.safetensors")
        let b = NamedTensor(name: "b.weight", shape: [2, 3], values: [1, -2, 3.5, 0, 1e-30, -7])
        let a = NamedTensor(name: "a.bias", shape: [3], values: [0.25, 0.5, -0.75])
        let e = NamedTensor(name: "empty", shape: [0, 4], values: [])
        try SafetensorsWriter.write([b, a, e], metadata: ["note": "x\"y"], to: url)

        let f = try SafetensorsFile(url)
        #expect(f.tensorNames == ["a.bias", "b.weight", "empty"])
        #expect(f.shape(of: "b.weight") == [2, 3])
        #expect(f.metadata == ["note": "x\"y", "format": "pt"])
        var out = [Float](repeating: .nan, count: 6)
        try out.withUnsafeMutableBufferPointer { try f.readFloats("b.weight", into: $0) }
        #expect(out == b.values)
        var small = [Float](repeating: 0, count: 3)
        try small.withUnsafeMutableBufferPointer { try f.readFloats("a.bias", into: $0) }
        #expect(small == a.values)
        var none: [Float] = []
        try none.withUnsafeMutableBufferPointer { try f.readFloats("empty", into: $0) }

        // layout: header padded to 8 bytes with spaces, tensors in name order from offset 0
        let raw = try Data(contentsOf: url)
        let n = raw.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(n % 8 == 0)
        let header = String(decoding: raw[8..<(8 + Int(n))], as: UTF8.self)
        #expect(header.hasSuffix("}") || header.hasSuffix(" "))
        let ia = header.range(of: "\"a.bias\"")!.lowerBound, ib = header.range(of: "\"b.weight\"")!.lowerBound
        #expect(ia < ib)
        #expect(header.contains("\"a.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}"))
        #expect(raw.count == 8 + Int(n) + 36)
    }

    @Test func rangedAccessMatchesWholeRead() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("m.safetensors")
        let values = (0..<100).map { Float($0) * 0.5 }
        try SafetensorsWriter.write([NamedTensor(name: "t", shape: [10, 10], values: values)], to: url)
        let f = try SafetensorsFile(url)
        var scratch = [Float](repeating: 0, count: 16)
        let got = try scratch.withUnsafeMutableBufferPointer { s in
            try f.withFloats("t", in: 37..<53, scratch: s) { Array($0) }
        }
        #expect(got == Array(values[37..<53]))
        #expect(throws: FinemixError.self) {
            try scratch.withUnsafeMutableBufferPointer { s in try f.withFloats("t", in: 95..<101, scratch: s) { _ in } }
        }
    }

    @Test func decodesF16OnKnownBitPatterns() throws {
        let bits: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3555, 0x7C00, 0x8000, 0x0400, 0x03FF]
        let want: [Float] = [1, -2, 65504, 5.9604645e-08, 0.33325195, .infinity, -0.0, 6.1035156e-05, 6.0975552e-05]
        let data = bits.withUnsafeBytes { Array($0) }
        let header = #"{"h":{"dtype":"F16","shape":[9],"data_offsets":[0,18]}}"#
        let dir = TempDir()
        let url = try dir.file("h.safetensors", RawSafetensors.bytes(header: header, data: data))
        let f = try SafetensorsFile(url)
        var out = [Float](repeating: 0, count: 9)
        try out.withUnsafeMutableBufferPointer { try f.readFloats("h", into: $0) }
        #expect(out == want)
        #expect(out[6].sign == .minus)
        #expect(SafetensorsFile.halfToFloat(0x7E00).isNaN)
    }

    @Test func decodesBF16OnKnownBitPatterns() throws {
        let bits: [UInt16] = [0x3F80, 0xC0A0, 0x4049, 0x0000, 0xFF80, 0x3E80]
        let want: [Float] = [1, -5, 3.140625, 0, -.infinity, 0.25]
        let data = bits.withUnsafeBytes { Array($0) }
        let header = #"{"b":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]}}"#
        let dir = TempDir()
        let f = try SafetensorsFile(try dir.file("b.safetensors", RawSafetensors.bytes(header: header, data: data)))
        var out = [Float](repeating: 0, count: 6)
        try out.withUnsafeMutableBufferPointer { try f.readFloats("b", into: $0) }
        #expect(out == want)
    }

    @Test func keepsI64AsIntegersAndOutOfTheFloatNames() throws {
        let ints: [Int64] = [0, 1, -3, Int64.max]
        let header = #"{"embeddings.position_ids":{"dtype":"I64","shape":[1,4],"data_offsets":[0,32]},"w":{"dtype":"F32","shape":[1],"data_offsets":[32,36]}}"#
        let data = ints.withUnsafeBytes { Array($0) } + RawSafetensors.floatBytes([2])
        let dir = TempDir()
        let f = try SafetensorsFile(try dir.file("i.safetensors", RawSafetensors.bytes(header: header, data: data)))
        #expect(try f.int64s("embeddings.position_ids") == ints)
        #expect(f.tensorNames == ["w"])
        #expect(f.integerTensorNames == ["embeddings.position_ids"])
        var one = [Float](repeating: 0, count: 4)
        #expect(throws: FinemixError.self) {
            try one.withUnsafeMutableBufferPointer { try f.readFloats("embeddings.position_ids", into: $0) }
        }
    }

    @Test func canonicalNamesDropTheBertPrefix() throws {
        let header = #"{"bert.pooler.dense.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"classifier.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let dir = TempDir()
        let f = try SafetensorsFile(try dir.file("p.safetensors", RawSafetensors.bytes(header: header, data: RawSafetensors.floatBytes([1, 2]))))
        #expect(f.tensorNames == ["classifier.bias", "pooler.dense.bias"])
        #expect(f.entries["pooler.dense.bias"]?.storedName == "bert.pooler.dense.bias")
    }

    @Test func tensorFlowEraLayerNormNamesAreRenamed() throws {
        #expect(CheckpointNames.canonical("bert.embeddings.LayerNorm.gamma") == "embeddings.LayerNorm.weight")
        #expect(CheckpointNames.canonical("bert.encoder.layer.0.output.LayerNorm.beta") == "encoder.layer.0.output.LayerNorm.bias")
        #expect(CheckpointNames.canonical("classifier.weight") == "classifier.weight")
        #expect(CheckpointNames.stored("pooler.dense.weight", withHead: true) == "bert.pooler.dense.weight")
        #expect(CheckpointNames.stored("classifier.bias", withHead: true) == "classifier.bias")
        #expect(CheckpointNames.stored("pooler.dense.weight", withHead: false) == "pooler.dense.weight")
        #expect(throws: FinemixError.self) {
            try CheckpointNames.canonicalMap(["embeddings.LayerNorm.gamma", "bert.embeddings.LayerNorm.weight"], file: "f")
        }
    }

    @Test func wrongBufferSizeNamesTheTensor() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("m.safetensors")
        try SafetensorsWriter.write([NamedTensor(name: "enc.w", shape: [2], values: [1, 2])], to: url)
        let f = try SafetensorsFile(url)
        var three = [Float](repeating: 0, count: 3)
        #expect { try three.withUnsafeMutableBufferPointer { try f.readFloats("enc.w", into: $0) } } throws: {
            ($0 as? FinemixError)?.message.contains("enc.w") == true
        }
        #expect { try three.withUnsafeMutableBufferPointer { try f.readFloats("nope", into: $0) } } throws: {
            ($0 as? FinemixError)?.message.contains("nope") == true
        }
    }

    // MARK: bad inputs, one test each

    @Test func emptyFile() throws {
        let m = try safetensorsError(Data())
        #expect(m.contains("0 bytes"))
    }

    @Test func truncatedFile() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("good.safetensors")
        try SafetensorsWriter.write([NamedTensor(name: "w", shape: [64], values: Array(repeating: 1, count: 64))], to: url)
        let whole = try Data(contentsOf: url)
        let m = try safetensorsError(whole.prefix(whole.count - 10), in: dir)
        #expect(m.contains("tensor w") && m.contains("outside the data region"))
        let m2 = try safetensorsError(whole.prefix(20), in: dir)
        #expect(m2.contains("past the end"))
        let m3 = try safetensorsError(whole.prefix(5), in: dir)
        #expect(m3.contains("shorter than the 8-byte header length"))
    }

    @Test func headerLengthPastTheEnd() throws {
        let m = try safetensorsError(RawSafetensors.bytes(headerLength: 4096, header: "{}"))
        #expect(m.contains("past the end"))
    }

    @Test func hugeHeaderLengthIsRefusedBeforeAllocating() throws {
        let m = try safetensorsError(RawSafetensors.bytes(headerLength: 1 << 60, header: "{}"))
        #expect(m.contains("exceeds the limit"))
        let m2 = try safetensorsError(RawSafetensors.bytes(headerLength: UInt64.max, header: "{}"))
        #expect(m2.contains("exceeds the limit"))
    }

    @Test func malformedJSON() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]"#, data: [0, 0, 0, 0]))
        #expect(m.contains("not well-formed JSON"))
    }

    @Test func headerNotAnObject() throws {
        // refused by the reference's first rule, before the JSON is parsed
        let m = try safetensorsError(RawSafetensors.bytes(header: "[1, 2, 3]"))
        #expect(m.contains("must start with '{'"))
    }

    @Test func unknownDtype() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
        #expect(m.contains("tensor w") && m.contains("F8_E4M3"))
    }

    @Test func offsetsOutOfBounds() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#, data: Array(repeating: 0, count: 16)))
        #expect(m.contains("tensor w") && m.contains("outside the data region"))
        let m2 = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[-4,0]}}"#))
        #expect(m2.contains("tensor w"))
        let m3 = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: Array(repeating: 0, count: 8)))
        #expect(m3.contains("tensor w"))
    }

    @Test func overlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}"#
        let m = try safetensorsError(RawSafetensors.bytes(header: header, data: Array(repeating: 0, count: 20)))
        #expect(m.contains("overlaps") && m.contains("tensor a") && m.contains("tensor b"))
    }

    @Test func shapeTimesSizeDiffersFromSpan() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: Array(repeating: 0, count: 24)))
        #expect(m.contains("tensor w") && m.contains("24 bytes") && m.contains("span 20 bytes"))
    }

    @Test func negativeOrHugeDimensions() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,0]}}"#))
        #expect(m.contains("tensor w") && m.contains("non-negative"))
        let m2 = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}}"#))
        #expect(m2.contains("tensor w") && m2.contains("more elements"))
        let m3 = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
        #expect(m3.contains("tensor w"))
    }

    @Test func missingFields() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0]))
        #expect(m.contains("tensor w") && m.contains("data_offsets"))
        let m2 = try safetensorsError(RawSafetensors.bytes(header: #"{"w":7}"#))
        #expect(m2.contains("tensor w"))
    }

    @Test func bothPrefixedAndBareFormsOfOneTensor() throws {
        let header = #"{"bert.pooler.dense.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"pooler.dense.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let m = try safetensorsError(RawSafetensors.bytes(header: header, data: Array(repeating: 0, count: 8)))
        #expect(m.contains("pooler.dense.bias") && m.contains("stored twice"))
    }

    // MARK: the reference implementation's rules (huggingface/safetensors read_metadata, validate)

    static let four: [UInt8] = [0, 0, 0, 0]

    @Test func headerMustStartWithABrace() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #" {"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Self.four))
        #expect(m.contains("must start with '{'"), "\(m)")
    }

    @Test func headerMustBeUTF8() throws {
        var raw = RawSafetensors.bytes(header: #"{"w?":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Self.four)
        raw[8 + 3] = 0xFF
        let m = try safetensorsError(raw)
        #expect(m.contains("not valid UTF-8"), "\(m)")
    }

    /// Foundation would read a UTF-16 header (`{` then NUL) as JSON; the reference cannot.
    @Test func headerWithNULBytesIsRefused() throws {
        let utf16 = Array(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        var raw = Data()
        var n = UInt64(utf16.count).littleEndian
        withUnsafeBytes(of: &n) { raw.append(contentsOf: $0) }
        raw.append(contentsOf: utf16 + Self.four)
        let m = try safetensorsError(raw)
        #expect(m.contains("NUL byte"), "\(m)")
        let padded = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"# + "\0\0\0", data: Self.four))
        #expect(padded.contains("NUL byte"), "\(padded)")
    }

    /// The spec lets a writer pad the header with spaces (HF pads to 8 bytes); that loads.
    @Test func trailingSpacesAfterTheJSONAreAllowed() throws {
        let dir = TempDir()
        let url = try dir.file("padded.safetensors", RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"# + "     ", data: RawSafetensors.floatBytes([2.5])))
        let f = try SafetensorsFile(url)
        var v: [Float] = [0]
        try v.withUnsafeMutableBufferPointer { try f.readFloats("w", into: $0) }
        #expect(v == [2.5])
    }

    @Test func aHoleBetweenTensorsIsRefused() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let m = try safetensorsError(RawSafetensors.bytes(header: header, data: Array(repeating: 0, count: 12)))
        #expect(m.contains("tensor b") && m.contains("bytes 4..<8 after tensor a unused") && m.contains("InvalidOffset"), "\(m)")
        let first = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: Array(repeating: 0, count: 8)))
        #expect(first.contains("tensor w") && first.contains("bytes 0..<4"), "\(first)")
    }

    @Test func bytesAfterTheLastTensorAreRefused() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 12)))
        #expect(m.contains("holds 12 bytes") && m.contains("the last tensor, w, ends at byte 4") && m.contains("MetadataIncompleteBuffer"), "\(m)")
        let none = try safetensorsError(RawSafetensors.bytes(header: "{}", data: Self.four))
        #expect(none.contains("holds 4 bytes but no tensor covers it"), "\(none)")
    }

    @Test func aDuplicateTensorNameIsRefused() throws {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let m = try safetensorsError(RawSafetensors.bytes(header: header, data: Array(repeating: 0, count: 8)))
        #expect(m.contains("tensor w appears twice") && m.contains("duplicate keys"), "\(m)")
        // the same name spelled with an escape is the same key
        let escaped = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let m2 = try safetensorsError(RawSafetensors.bytes(header: escaped, data: Array(repeating: 0, count: 8)))
        #expect(m2.contains("tensor w appears twice"), "\(m2)")
    }

    @Test func aDuplicateFieldInATensorIsRefused() throws {
        let header = #"{"w":{"dtype":"F16","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let m = try safetensorsError(RawSafetensors.bytes(header: header, data: Self.four))
        #expect(m.contains("'w' has the key 'dtype' twice"), "\(m)")
    }

    @Test func offsetsAndDimensionsMustBeIntegersNotDecimals() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}"#, data: Self.four))
        #expect(m.contains("tensor w") && m.contains("two integers"), "\(m)")
        let m2 = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#, data: Self.four))
        #expect(m2.contains("tensor w") && m2.contains("non-negative integers"), "\(m2)")
    }

    @Test func metadataMustMapStringsToStrings() throws {
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"__metadata__":{"format":1},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Self.four))
        #expect(m.contains("__metadata__ value for 'format' must be a string"), "\(m)")
        let m2 = try safetensorsError(RawSafetensors.bytes(header: #"{"__metadata__":["pt"]}"#))
        #expect(m2.contains("__metadata__ must be an object of strings"), "\(m2)")
    }

    /// Empty tensors sit at the offset they are listed at, as the reference requires.
    @Test func emptyTensorsInTheirPlaceLoad() throws {
        let header = #"{"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"z":{"dtype":"F16","shape":[0,3],"data_offsets":[4,4]}}"#
        let dir = TempDir()
        let url = try dir.file("empties.safetensors", RawSafetensors.bytes(header: header, data: Self.four))
        #expect(try SafetensorsFile(url).tensorNames == ["e", "w", "z"])
        let misplaced = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        let m = try safetensorsError(RawSafetensors.bytes(header: misplaced, data: Array(repeating: 0, count: 8)))
        #expect(m.contains("tensor e") && m.contains("overlaps tensor w"), "\(m)")
    }

    // MARK: a file that changes after loading

    /// The weights are read into memory finemix owns: a loaded file truncated or rewritten in place
    /// (as `cp` over it does) can no longer kill the process with SIGBUS or change the model.
    @Test func aLoadedFileTruncatedOrOverwrittenInPlaceChangesNothing() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("m.safetensors")
        let values = (0..<4096).map { Float($0) * 0.5 }
        try SafetensorsWriter.write([NamedTensor(name: "w", shape: [4096], values: values)], to: url)
        let f = try SafetensorsFile(url)
        #expect(truncate(url.path, 0) == 0)
        var out = [Float](repeating: 0, count: 4096)
        try out.withUnsafeMutableBufferPointer { try f.readFloats("w", into: $0) }
        #expect(out == values)
        var scratch = [Float](repeating: 0, count: 16)
        let sum = try scratch.withUnsafeMutableBufferPointer { s in try f.withFloats("w", in: 4000..<4016, scratch: s) { $0.reduce(0, +) } }
        #expect(sum == values[4000..<4016].reduce(0, +))
        // rewritten in place with other values, same inode
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: Data(repeating: 0x7F, count: 20_000))
        try handle.close()
        try out.withUnsafeMutableBufferPointer { try f.readFloats("w", into: $0) }
        #expect(out == values)
    }

    @Test func missingFileNamesIt() throws {
        let url = TempDir().url.appendingPathComponent("absent.safetensors")
        #expect { _ = try SafetensorsFile(url) } throws: {
            ($0 as? FinemixError)?.message.contains("absent.safetensors") == true
        }
    }
}
