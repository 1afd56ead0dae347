import Foundation
import Testing
@testable import Defense

/// A loaded model never depends on a file that can change under it: weights are held in memory,
/// and vocab.txt, read again later, is checked against the stamp taken at load.
@Suite struct LoadedModelTests {
    static func tensors(_ folder: CheckpointFolder) throws -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for name in folder.weights.tensorNames {
            var v = [Float](repeating: 0, count: folder.weights.elementCount(of: name)!)
            try v.withUnsafeMutableBufferPointer { try folder.weights.readFloats(name, into: $0) }
            out[name] = v
        }
        return out
    }

    /// In the workbench (and `finemix run`, which drives the same Session): the victim's weights
    /// file truncated after `load` used to kill the process with SIGBUS at the next command.
    @Test func theWorkbenchWorksOnAfterTheVictimsFileIsTruncated() throws {
        let dir = TempDir()
        _ = try NumericFaultTests.folder(dir, "pre")
        let original = try Self.tensors(NumericFaultTests.folder(dir, "victim", seed: 2))
        let session = try Session(workspace: dir.url.appendingPathComponent("ws"), journal: nil)
        _ = try session.execute("load pre \(dir.url.appendingPathComponent("pre").path)")
        _ = try session.execute("load victim \(dir.url.appendingPathComponent("victim").path)")
        let weights = dir.url.appendingPathComponent("victim/model.safetensors")
        #expect(truncate(weights.path, 0) == 0)

        _ = try session.execute("inspect")
        _ = try session.execute("mix 0.5")
        _ = try session.execute("variant victim")
        let out = dir.url.appendingPathComponent("saved")
        _ = try session.execute("save \(out.path)")
        #expect(try Self.tensors(CheckpointFolder(out)) == original)
    }

    /// vocab.txt is read again to tokenize and to save beside a model: a file edited or replaced
    /// since loading is named, never silently used with weights it does not belong to.
    @Test func aVocabularyChangedAfterLoadingIsNamed() throws {
        let dir = TempDir()
        let folder = try NumericFaultTests.folder(dir, "m")
        #expect(try folder.vocabURL == folder.vocabPath)
        let vocab = folder.vocabPath
        // edited in place (same inode, new size)
        let handle = try FileHandle(forWritingTo: vocab)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("extra\n".utf8))
        try handle.close()
        let m = NumericFaultTests.message { _ = try folder.vocabURL }
        #expect(m == "\(vocab.path): changed after the model was loaded; load the model again so that it and its weights belong together", "\(m)")
        // replaced by rename, same content as at load: a new inode is a change too
        let reloaded = try CheckpointFolder(folder.url)
        let copy = dir.url.appendingPathComponent("copy.txt")
        try FileManager.default.copyItem(at: vocab, to: copy)
        #expect(rename(copy.path, vocab.path) == 0)
        #expect(NumericFaultTests.message { _ = try reloaded.vocabURL }.contains("changed after the model was loaded"))
        try FileManager.default.removeItem(at: vocab)
        #expect(NumericFaultTests.message { _ = try reloaded.vocabURL }.contains("was removed or became unreadable"))
    }

    @Test func theWorkbenchNamesAVocabularyChangedBeforeSave() throws {
        let dir = TempDir()
        _ = try NumericFaultTests.folder(dir, "pre")
        _ = try NumericFaultTests.folder(dir, "victim", seed: 2)
        let session = try Session(workspace: dir.url.appendingPathComponent("ws"), journal: nil)
        _ = try session.execute("load pre \(dir.url.appendingPathComponent("pre").path)")
        _ = try session.execute("load victim \(dir.url.appendingPathComponent("victim").path)")
        let vocab = dir.url.appendingPathComponent("pre/vocab.txt")
        try Data("[PAD]\n[UNK]\n".utf8).write(to: vocab)
        let out = dir.url.appendingPathComponent("saved")
        let m = NumericFaultTests.message { _ = try session.execute("save \(out.path)") }
        #expect(m.contains("\(vocab.path): changed after the model was loaded"), "\(m)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
