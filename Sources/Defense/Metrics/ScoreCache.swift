import Foundation

/// The victim's "before" score (ACC/ASR on its test split), kept in the workspace by what it
/// depends on: the bytes of the checkpoint folder's files, the test and triggered sentences with
/// their labels, the target, the token limit and the ASR basis. A second defend, sweep or
/// compare on the same victim and split reads it instead of evaluating 1,500 sentences again;
/// any change to the checkpoint or the sentences is another key, so a stale score is never used.
/// A score file that cannot be read is measured again and rewritten (only finemix writes there).
public struct ScoreCache: Sendable {
    /// `<workspace>/scores`.
    public let folder: URL
    /// Bumped when the evaluator's numbers change, so scores of an older engine are not reused.
    static let version = "finemix-victim-score-1"

    public init(workspace: URL) {
        folder = workspace.appendingPathComponent("scores", isDirectory: true)
    }

    /// The key of a victim's score; nil when the checkpoint is not all in its folder (a LoRA
    /// adapter over a base elsewhere), which is then measured every time.
    /// `precision`: a BF16 score is another key (FP32 keys are those of scores cached before the choice).
    public static func key(victim: CheckpointFolder, test: [Example], asrSet: [Example], targetLabel: Int?, maxLength: Int,
                           basis: ASRBasis?, precision: Precision = .fp32) throws -> String? {
        guard victim.adapter == nil else { return nil }
        var h = ContentHash()
        func add(_ text: String) { Array((text + "\u{1F}").utf8).withUnsafeBytes { h.update($0) } }
        add(version)
        let files = try FileManager.default.contentsOfDirectory(at: victim.url, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        for f in files {
            let (hash, size) = try ContentHash.ofFile(f)
            add("\(f.lastPathComponent) \(size) \(hash)")
        }
        for (name, set) in [("test", test), ("asr", asrSet)] {
            add("\(name) \(set.count)")
            for e in set { add(e.text); add(e.pair ?? "\u{0}"); add("\(e.label)") }
        }
        add("target \(targetLabel.map(String.init) ?? "none") max \(maxLength) basis \(basis.map { "\($0)" } ?? "none")")
        if precision != .fp32 { add("precision \(precision.rawValue)") }
        return InputFingerprint.hex(h.finish())
    }

    /// The cached score under `key`, or `measure()`'s, which is then kept.
    public func score(key: String?, measure: () throws -> DefenseScore) throws -> (score: DefenseScore, cached: Bool) {
        guard let key else { return (try measure(), false) }
        let file = folder.appendingPathComponent("\(key).json")
        if let data = try? Data(contentsOf: file), let s = try? JSONDecoder().decode(DefenseScore.self, from: data) {
            return (s, true)
        }
        let s = try measure()
        // A workspace that cannot take the file costs only the next evaluation, never this run.
        if (try? AtomicFile.createFolder(folder)) != nil {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            if let data = try? enc.encode(s) { try? AtomicFile.write(data, to: file) }
        }
        return (s, false)
    }
}
