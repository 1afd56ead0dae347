import Foundation
import Testing
@testable import Defense
import TestSupport

/// Issue 16: the journal fingerprints every file a command loaded, and `finemix run --resume`
/// refuses to replay when one has other content (naming it and what changed), and only warns
/// when its time stamp alone changed. Synthetic MiniLM-shaped models, so nothing trains.
@Suite(.serialized) struct ResumeInputsTests {
    static let env = CrashTests.env

    @Test func resumeRefusesAnInputWithOtherContentAndWarnsOnATimeStamp() throws {
        let dir = TempFolder.url("resume-inputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pre = dir.appendingPathComponent("pre"), victim = dir.appendingPathComponent("victim")
        let ws = dir.appendingPathComponent("ws")
        func synth(_ out: URL, seed: Int, head: Bool = true) throws {
            let r = try Binary.run(["synth", "--config", "minilm", "--seed", "\(seed)", "--out", out.path, "--workspace", ws.path]
                                   + (head ? ["--labels", "2"] : []), environment: Self.env)
            #expect(r.status == 0, "synth failed: \(r.stderr)")
        }
        try synth(pre, seed: 1, head: false)
        try synth(victim, seed: 2)
        let script = dir.appendingPathComponent("s.fm")
        try Data("load pre \(pre.path)\nload victim \(victim.path)\nmix 0.5\n".utf8).write(to: script)
        let first = try Binary.run(["run", script.path, "--workspace", ws.path], environment: Self.env)
        #expect(first.status == 0, "\(first.stderr)")
        let journal = try Session.latestJournal(workspace: ws)
        let entries = try Journal(url: journal).entries
        let weights = victim.appendingPathComponent("model.safetensors")
        // Every file the model is read from: config, each tokenizer file synth saved beside the weights, weights.
        #expect(entries[1].inputs?.map(\.path) == ["config.json", "tokenizer.json", "vocab.txt", "model.safetensors"].map { victim.appendingPathComponent($0).path })
        #expect(entries[2].inputs == nil)

        func resume() throws -> Binary.Output {
            try Binary.run(["run", "--resume", "--journal", journal.path, "--workspace", ws.path], environment: Self.env)
        }
        let same = try resume()
        #expect(same.status == 0 && !same.stderr.contains("warning"), "\(same.stderr)")

        // Touched: the same bytes, so the replay goes on with a warning.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_700_000_000)], ofItemAtPath: weights.path)
        let touched = try resume()
        #expect(touched.status == 0)
        #expect(touched.stderr.contains("warning: \(weights.path) was modified since the session loaded it (its time stamp changed) but its content is the same"),
                "\(touched.stderr)")

        // Other weights of the same shapes: refused before anything is loaded.
        let other = dir.appendingPathComponent("other")
        try synth(other, seed: 3)
        try FileManager.default.removeItem(at: weights)
        try FileManager.default.copyItem(at: other.appendingPathComponent("model.safetensors"), to: weights)
        let changed = try resume()
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("\(weights.path) changed since the session loaded it (same size, other content: XXH64 "), "\(changed.stderr)")
        #expect(!changed.stderr.contains("> load pre"), "\(changed.stderr)")
    }
}
