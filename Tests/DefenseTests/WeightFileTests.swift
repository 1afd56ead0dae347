import Foundation
import Testing
import TestSupport
import ZIPFoundation
@testable import Defense

/// Tests/Fixtures/weightfiles, written by scripts/gen_weightfile_fixtures.py from one tiny BERT.
enum WeightFixtures {
    static var root: URL { Fixtures.folder("weightfiles") }
    static func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// A copy of fixture folder `name` in `dir`, to break.
    static func copy(_ name: String, to dir: TempDir) throws -> URL {
        let out = dir.url.appendingPathComponent(name)
        try FileManager.default.copyItem(at: url(name), to: out)
        return out
    }

    static func floats(_ w: some TensorSource, _ name: String) throws -> [Float] {
        var v = [Float](repeating: 0, count: w.elementCount(of: name) ?? 0)
        try v.withUnsafeMutableBufferPointer { try w.readFloats(name, into: $0) }
        return v
    }

    /// Same tensor names and shapes; largest |a − b| over every value.
    static func maxDifference(_ a: SafetensorsFile, _ b: SafetensorsFile) throws -> Float {
        #expect(a.tensorNames == b.tensorNames)
        var worst: Float = 0
        for name in a.tensorNames {
            #expect(a.shape(of: name) == b.shape(of: name), "\(name)")
            let x = try floats(a, name), y = try floats(b, name)
            for (p, q) in zip(x, y) { worst = max(worst, abs(p - q)) }
        }
        return worst
    }
}

/// A torch.save-like zip written in the test: `pickle` as archive/data.pkl, `storages` as archive/data/<key>.
func torchZip(_ dir: TempDir, pickle: [UInt8], storages: [String: [UInt8]] = [:], top: String = "archive") throws -> URL {
    let folder = dir.url.appendingPathComponent("m")
    try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: folder)
    try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
    let url = folder.appendingPathComponent("pytorch_model.bin")
    let archive = try Archive(url: url, accessMode: .create)
    var files = [("\(top)/data.pkl", pickle), ("\(top)/byteorder", Array("little".utf8))]
    files += storages.sorted { $0.key < $1.key }.map { ("\(top)/data/\($0.key)", $0.value) }
    for (path, bytes) in files {
        let data = Data(bytes)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
            data.subdata(in: Int(position)..<(Int(position) + size))
        }
    }
    return folder
}

/// Pickle bytes, protocol 2, as torch.save writes them.
enum Pickle {
    static func str(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return [0x58] + withUnsafeBytes(of: UInt32(b.count).littleEndian, Array.init) + b
    }
    static func int(_ i: Int) -> [UInt8] { [0x4a] + withUnsafeBytes(of: Int32(i).littleEndian, Array.init) }
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }
    /// {name: _rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), offset, size, stride, False, OrderedDict())}
    static func stateDict(_ tensors: [(name: String, key: String, numel: Int, offset: Int, size: [Int], stride: [Int])]) -> [UInt8] {
        var p: [UInt8] = [0x80, 0x02] + global("collections", "OrderedDict") + [0x29, 0x52, 0x28]
        for t in tensors {
            p += str(t.name) + global("torch._utils", "_rebuild_tensor_v2")
            p += [0x28] + tuple([str("storage"), global("torch", "FloatStorage"), str(t.key), str("cpu"), int(t.numel)]) + [0x51]
            p += int(t.offset) + tuple(t.size.map(int)) + tuple(t.stride.map(int)) + [0x89]
            p += global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52]
        }
        return p + [0x75, 0x2e]
    }
}

@Suite struct WeightFileTests {
    func load(_ name: String) throws -> CheckpointFolder { try CheckpointFolder(WeightFixtures.url(name)) }

    @Test func pytorchBinHoldsTheSameTensorsAsSafetensors() throws {
        let bin = try load("bin"), reference = try load("bert")
        #expect(bin.origin == "pytorch_model.bin")
        #expect(try WeightFixtures.maxDifference(bin.weights, reference.weights) == 0)
        #expect(bin.weights.tensorNames.contains("classifier.weight"))
    }

    /// A transposed view, a view at storage offset 7 and two views of one storage, in a zip
    /// whose top folder is "archive" (torch.save to a buffer) rather than the file's stem.
    @Test func stridedAndOffsetViewsAreCopiedOut() throws {
        #expect(try WeightFixtures.maxDifference(try load("bin-strided").weights, try load("bert").weights) == 0)
    }

    @Test func shardedSafetensorsReadAsOneCheckpoint() throws {
        let sharded = try load("sharded-st")
        let shards = sharded.weights.files.filter { $0.lastPathComponent.hasSuffix(".safetensors") }
        #expect(shards.count >= 2)
        #expect(sharded.origin == "model.safetensors.index.json (\(shards.count) shards)")
        #expect(sharded.weights.files.first?.lastPathComponent == "model.safetensors.index.json")
        #expect(try WeightFixtures.maxDifference(sharded.weights, try load("bert").weights) == 0)
    }

    @Test func shardedPytorchBinReadsAsOneCheckpoint() throws {
        let sharded = try load("sharded-bin")
        #expect(sharded.origin.hasPrefix("pytorch_model.bin.index.json ("))
        #expect(sharded.weights.files.count >= 3)
        #expect(try WeightFixtures.maxDifference(sharded.weights, try load("bert").weights) == 0)
    }

    /// The fixture's data.pkl reduces posix.system("touch /tmp/finemix-hostile-pickle-ran").
    @Test func hostilePickleRunsNothingAndNamesTheGlobal() throws {
        let marker = "/tmp/finemix-hostile-pickle-ran"
        try? FileManager.default.removeItem(atPath: marker)
        let m = folderError(WeightFixtures.url("hostile"))
        #expect(m.hasPrefix("\(WeightFixtures.url("hostile").path)/pytorch_model.bin (archive/data.pkl): "), "\(m)")
        #expect(m.contains("refused the global posix.system") && m.contains("ran nothing"), "\(m)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test(arguments: [("builtins", "eval"), ("os", "system"), ("subprocess", "Popen"), ("torch", "load"), ("__builtin__", "exec")])
    func everyOtherGlobalIsRefusedByName(_ module: String, _ name: String) throws {
        let dir = TempDir()
        let pickle: [UInt8] = [0x80, 0x02] + Pickle.global(module, name) + Pickle.tuple([Pickle.str("id")]) + [0x52, 0x2e]
        let m = folderError(try torchZip(dir, pickle: pickle))
        #expect(m.contains("(archive/data.pkl): refused the global \(module).\(name),"), "\(m)")
    }

    /// size [3, 2] with stride [1, 3] at offset 2 of a 9-value storage: values 2 5 / 3 6 / 4 7.
    @Test func aViewIsReadByItsStridesAndOffset() throws {
        let dir = TempDir()
        let storage = (0..<9).flatMap { withUnsafeBytes(of: Float($0), Array.init) }
        let pickle = Pickle.stateDict([("extra.weight", "0", 9, 2, [3, 2], [1, 3])])
        let folder = try torchZip(dir, pickle: pickle, storages: ["0": storage])
        let w = try TorchBin.read(folder.appendingPathComponent("pytorch_model.bin"))
        #expect(w.shape(of: "extra.weight") == [3, 2])
        #expect(try WeightFixtures.floats(w, "extra.weight") == [2, 5, 3, 6, 4, 7])
    }

    @Test func aViewPastItsStorageIsRefused() throws {
        let dir = TempDir()
        let storage = (0..<4).flatMap { withUnsafeBytes(of: Float($0), Array.init) }
        let folder = try torchZip(dir, pickle: Pickle.stateDict([("x", "0", 4, 1, [2, 2], [2, 1])]), storages: ["0": storage])
        let m = folderError(folder)
        #expect(m.contains("tensor x (size [2, 2], stride [2, 1], offset 1) reaches value 4 of storage 0, which holds 4"), "\(m)")
    }

    @Test func aStorageOfAnotherSizeThanThePickleSaysIsRefused() throws {
        let dir = TempDir()
        let folder = try torchZip(dir, pickle: Pickle.stateDict([("x", "0", 100, 0, [100], [1])]), storages: ["0": [UInt8](repeating: 0, count: 8)])
        #expect(folderError(folder).contains("archive/data/0 holds 8 bytes, but the pickle says 400"))
    }

    @Test func pickleLimitsHold() throws {
        func error(_ bytes: [UInt8]) -> String {
            do { _ = try TorchPickle.load(bytes, file: "p") } catch let e as FinemixError { return e.message } catch {}
            return ""
        }
        // 100 nested one-tuples: deeper than any state dict.
        #expect(error([0x80, 0x02, 0x4e] + [UInt8](repeating: 0x85, count: 100) + [0x2e]).contains("nest deeper than 64"))
        #expect(error([0x80, 0x02, 0x68, 0x05, 0x2e]).contains("BINGET 5 of a memo entry never stored"))
        #expect(error([0x80, 0x02, 0x69]).contains("instruction 0x69 is not one torch.save writes"))
        // A list appended to after it was put in a tuple: ] q0 h0 TUPLE1 h0 N a
        #expect(error([0x80, 0x02, 0x5d, 0x71, 0x00, 0x68, 0x00, 0x85, 0x68, 0x00, 0x4e, 0x61, 0x2e]).contains("changed after it was used"))
        #expect(error([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f]).contains("ends inside an instruction"))
        #expect(error(Pickle.global("builtins", "getattr")).contains("refused the global builtins.getattr"))
    }

    /// Seeded mutants of a real data.pkl (transformers' state dict, with its _metadata) through
    /// the unpickler, and of the whole .bin through the zip reader and the converter: each
    /// loads or is refused with a FinemixError, never a crash or another error.
    @Test func mutantsLoadOrThrowFinemixError() throws {
        let bin = WeightFixtures.url("bin/pytorch_model.bin")
        let archive = try Archive(url: bin, accessMode: .read)
        var pickle = Data()
        _ = try archive.extract(archive["pytorch_model/data.pkl"]!) { pickle.append($0) }
        var r = SeededRandom(seed: 14)
        for i in 0..<2_000 {
            let m = Mutate.mutant([UInt8](pickle), &r)
            _ = Mutate.outcome(i, "data.pkl") { _ = try TorchPickle.load(m, file: "data.pkl") }
        }
        let dir = TempDir(), whole = [UInt8](try Data(contentsOf: bin))
        for i in 0..<300 {
            let url = try dir.file("m\(i).bin", Data(Mutate.mutant(whole, &r)))
            _ = Mutate.outcome(i, "pytorch_model.bin") { _ = try TorchBin.read(url) }
            try FileManager.default.removeItem(at: url)
        }
    }

    // MARK: shard indexes

    func index(_ folder: URL) throws -> (URL, [String: Any]) {
        let url = folder.appendingPathComponent("model.safetensors.index.json")
        return (url, try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])
    }

    func rewrite(_ folder: URL, _ edit: (inout [String: String]) -> Void) throws {
        let (url, original) = try index(folder)
        var object = original
        var map = object["weight_map"] as! [String: String]
        edit(&map)
        object["weight_map"] = map
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    @Test(arguments: ["../bert/model.safetensors", "/etc/passwd", "sub/../../x.safetensors"])
    func aShardOutsideTheFolderIsRefused(_ path: String) throws {
        let dir = TempDir()
        let folder = try WeightFixtures.copy("sharded-st", to: dir)
        try rewrite(folder) { $0["classifier.bias"] = path }
        #expect(folderError(folder) == "\(folder.path)/model.safetensors.index.json: tensor classifier.bias names shard '\(path)', a path outside the model folder; shards must be files in the folder beside the index")
    }

    @Test func aMissingShardIsNamed() throws {
        let dir = TempDir()
        let folder = try WeightFixtures.copy("sharded-st", to: dir)
        let (_, object) = try index(folder)
        let map = object["weight_map"] as! [String: String]
        let shard = map["classifier.bias"]!
        try FileManager.default.removeItem(at: folder.appendingPathComponent(shard))
        let first = map.filter { $0.value == shard }.keys.sorted()[0]
        #expect(folderError(folder) == "\(folder.path)/model.safetensors.index.json: tensor \(first) is in shard \(shard), which is missing from \(folder.path)")
    }

    /// One shard also holding a tensor the index puts in another.
    @Test func aTensorInTwoShardsIsRefused() throws {
        let dir = TempDir()
        let folder = try WeightFixtures.copy("sharded-st", to: dir)
        let map = try index(folder).1["weight_map"] as! [String: String]
        let shards = Set(map.values).sorted()
        let moved = map.filter { $0.value == shards[0] }.keys.sorted()[0]
        let second = folder.appendingPathComponent(shards[1])
        let file = try SafetensorsFile(second)
        let extra = try SafetensorsFile(folder.appendingPathComponent(shards[0]))
        var tensors = try file.entries.values.map { e in NamedTensor(name: e.storedName, shape: e.shape, values: try WeightFixtures.floats(file, CheckpointNames.canonical(e.storedName))) }
        tensors.append(NamedTensor(name: moved, shape: extra.shape(of: CheckpointNames.canonical(moved))!,
                                   values: try WeightFixtures.floats(extra, CheckpointNames.canonical(moved))))
        try SafetensorsWriter.write(tensors, to: second)
        #expect(folderError(folder) == "\(second.path): holds tensor \(moved), but the index model.safetensors.index.json puts it in \(shards[0]); the shards and the index disagree")
    }

    @Test func aFolderWithoutWeightsNamesWhatWasLookedFor() throws {
        let dir = TempDir()
        let folder = try WeightFixtures.copy("bert", to: dir)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        #expect(folderError(folder) == "\(folder.path): no weights found; a model folder needs one of model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json")
    }

    /// model.safetensors wins over pytorch_model.bin (the hostile one is never opened).
    @Test func safetensorsIsPreferred() throws {
        let dir = TempDir()
        let folder = try WeightFixtures.copy("bert", to: dir)
        try FileManager.default.copyItem(at: WeightFixtures.url("hostile/pytorch_model.bin"), to: folder.appendingPathComponent("pytorch_model.bin"))
        #expect(try CheckpointFolder(folder).origin == "model.safetensors")
    }
}
