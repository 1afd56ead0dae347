import Foundation
import Testing
@testable import Defense
import TestSupport

/// SIGKILL the real binary while it saves a checkpoint and while it fine-tunes: the files it had
/// written before stay byte for byte (or are whole new ones), no temporary is mistaken for a
/// model, the journal reads, and `finemix run --resume` rebuilds the same variants.
/// Models are synthetic MiniLM-shaped checkpoints (`finemix synth`), so nothing here trains long.
@Suite(.serialized) struct CrashTests {
    static let cache = WorkbenchTmuxTests.cache
    static let env = ["FINEMIX_CACHE": cache]

    /// Starts the binary without waiting; output goes to /dev/null (nothing reads a pipe after
    /// the kill).
    static func start(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = Binary.url
        p.arguments = arguments
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs to completion and returns the wall time it took.
    static func timed(_ arguments: [String]) throws -> (Binary.Output, Double) {
        let t0 = Date()
        let r = try Binary.run(arguments, environment: env)
        return (r, Date().timeIntervalSince(t0))
    }

    /// SIGKILLs `arguments` after `delay` seconds; whether it was still running then, and its pid.
    @discardableResult
    static func kill(_ arguments: [String], after delay: Double) throws -> (killed: Bool, pid: Int32) {
        let p = try start(arguments)
        Thread.sleep(forTimeInterval: delay)
        let running = p.isRunning
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return (running && p.terminationReason == .uncaughtSignal, p.processIdentifier)
    }

    /// The journal of the session process `pid` ran (`sessions/<time>-<pid>/journal.jsonl`), if it got that far.
    static func journal(of pid: Int32, workspace: URL) throws -> Journal? {
        let sessions = workspace.appendingPathComponent("sessions")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sessions.path)) ?? []
        guard let name = names.first(where: { $0.hasSuffix("-\(pid)") }) else { return nil }
        let url = sessions.appendingPathComponent(name).appendingPathComponent("journal.jsonl")
        return FileManager.default.fileExists(atPath: url.path) ? try Journal(url: url) : nil
    }

    static let files = ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"]

    static func contents(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in files { out[f] = try Data(contentsOf: dir.appendingPathComponent(f)) }
        return out
    }

    /// Names in `dir` other than the checkpoint's three files and finemix's marker.
    static func extras(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { !files.contains($0) && $0 != OutputFolder.markerName }.sorted()
    }

    /// Temporary folders a killed writer left beside `dir` (`.NAME.PID.RAND.tmp`).
    static func besideTemporaries(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(dir.lastPathComponent).") && $0.hasSuffix(".tmp") }
    }

    /// The folder is the old version or the new one, whole (it is swapped in as one); leftovers
    /// are only hidden writer temporaries; the folder loads as a checkpoint.
    static func checkIntact(_ dir: URL, old: [String: Data], new: [String: Data], at delay: Double) throws {
        let now = try contents(dir)
        #expect(now == old || now == new, "the folder is neither the old nor the new checkpoint after a kill at \(delay) s")
        for name in try extras(dir) {
            #expect(name.hasPrefix(".") && name.hasSuffix(".tmp"), "unexpected \(name) after a kill at \(delay) s")
        }
        let folder = try CheckpointFolder(dir)
        #expect(folder.config.hiddenSize == 384)
    }

    @Test func killedWhileSavingACheckpointLeavesTheOldOrNewFolderWhole() throws {
        let dir = TempFolder.url("crash-save")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("model"), ref = dir.appendingPathComponent("ref")
        let ws = dir.appendingPathComponent("ws").path
        func synth(_ seed: Int, _ to: URL) -> [String] {
            ["synth", "--config", "minilm", "--labels", "2", "--seed", "\(seed)", "--out", to.path, "--workspace", ws, "--force"]
        }
        let (first, _) = try Self.timed(synth(1, out))
        #expect(first.status == 0, "synth failed: \(first.stderr)")
        let old = try Self.contents(out)
        let (second, seconds) = try Self.timed(synth(2, ref))
        #expect(second.status == 0)
        let new = try Self.contents(ref)
        #expect(old["model.safetensors"] != new["model.safetensors"])

        // Kill across the whole run (start-up, weight generation, the write, the renames),
        // putting the old folder back before each kill. The run's length is measured once, but
        // the machine's load changes while other suites run: a run that beats its kill shortens
        // the next delays, so the kills keep landing inside the run.
        var killedRunning = 0, tornWrites = 0, length = seconds
        for i in 1...20 where killedRunning < 8 || tornWrites < 1 {
            for f in Self.files { try old[f]!.write(to: out.appendingPathComponent(f)) }
            let delay = length * Double((i - 1) % 8 + 1) / 12
            if try Self.kill(synth(2, out), after: delay).killed { killedRunning += 1 } else { length *= 0.7 }
            if !(try Self.besideTemporaries(out)).isEmpty { tornWrites += 1 }
            try Self.checkIntact(out, old: old, new: new, at: delay)
        }
        #expect(killedRunning >= 4, "the kills came too late to test anything")
        #expect(tornWrites >= 1, "no kill landed during the write")
        FileHandle.standardError.write(Data("checkpoint save: \(killedRunning) kills while running, \(tornWrites) left a writer temporary (run takes \(String(format: "%.2f", seconds)) s)\n".utf8))
        // The next save over the folder removes the dead writers' temporaries.
        let (last, _) = try Self.timed(synth(2, out))
        #expect(last.status == 0)
        #expect(try Self.extras(out).isEmpty && Self.besideTemporaries(out).isEmpty)
        #expect(try Self.contents(out) == new)
    }

    @Test func killedWhileFineTuningKeepsSavedFilesAndAReadableJournalThatResumes() throws {
        let dir = TempFolder.url("crash-run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pre = dir.appendingPathComponent("pre"), victim = dir.appendingPathComponent("victim")
        let saved = dir.appendingPathComponent("saved"), resumed = dir.appendingPathComponent("resumed")
        let ws = dir.appendingPathComponent("ws")
        for args in [["synth", "--config", "minilm", "--seed", "1", "--out", pre.path],
                     ["synth", "--config", "minilm", "--seed", "1", "--labels", "2", "--out", victim.path,
                      "--perturb", "embeddings.word_embeddings.weight=0.02", "--perturb", "encoder.layer.2.output.dense.weight=0.05"],
                     ["synth", "--config", "minilm", "--seed", "3", "--labels", "2", "--out", saved.path]] {
            let r = try Binary.run(args + ["--workspace", ws.path], environment: Self.env)
            #expect(r.status == 0, "synth failed: \(r.stderr)")
        }
        let old = try Self.contents(saved)
        let work = [
            "load pre \(pre.path)", "load victim \(victim.path)", "data rt train=0 clean=16 test=32 max-length=16",
            "trigger word:cf", "mix 0.5 seed=3", "eval", "finetune epochs=2 batch=8 seed=2", "save \(saved.path)",
        ]
        let script = dir.appendingPathComponent("script.fm"), long = dir.appendingPathComponent("long.fm")
        try Data(work.joined(separator: "\n").utf8).write(to: script)
        try Data((work + ["finetune epochs=500 batch=8 seed=9"]).joined(separator: "\n").utf8).write(to: long)

        // Killed in the middle of a long fine-tune, after the save: the saved folder is the new
        // model, whole, and the journal holds every finished command.
        let started = Date()
        let p = try Self.start(["run", long.path, "--workspace", ws.path])
        var journalURL: URL?
        while p.isRunning && Date().timeIntervalSince(started) < 120 {
            if let url = try? Session.latestJournal(workspace: ws), let j = try? Journal(url: url), j.entries.count == work.count {
                journalURL = url; break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let untilSave = Date().timeIntervalSince(started)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(p.isRunning, "the long fine-tune ended before the kill")
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let url = try #require(journalURL, "the journal never recorded the save")
        let journal = try Journal(url: url)
        #expect(journal.entries.map(\.command) == work.map { try! Verbs.parse($0)!.description })
        #expect(journal.entries.allSatisfy(\.ok) && !journal.droppedTornLine)
        let new = try Self.contents(saved)
        #expect(new["model.safetensors"] != old["model.safetensors"])
        #expect(try Self.extras(saved).isEmpty)

        // Reopen from the journal and save again: the fine-tuned weights are the same bytes.
        let again = dir.appendingPathComponent("again.fm")
        try Data("save \(resumed.path)\n".utf8).write(to: again)
        let r = try Binary.run(["run", "--resume", "--journal", url.path, again.path, "--workspace", ws.path], environment: Self.env)
        #expect(r.status == 0, "resume failed: \(r.stderr)")
        #expect(r.stderr.contains("resuming \(url.path): 7 commands"), "replays all but save:\n\(r.stderr)")
        #expect(try Self.variants(r.stdout).count == 3, "victim, mix, fine-tuned")
        #expect(try Data(contentsOf: resumed.appendingPathComponent("model.safetensors")) == new["model.safetensors"],
                "the resumed fine-tune is not the same weights")

        // Kills at points across the short script (loading, evaluating, fine-tuning, saving):
        // each file of the saved folder is the old or the new one, whole; the journal reads and
        // is a prefix of the script.
        for f in Self.files { try old[f]!.write(to: saved.appendingPathComponent(f)) }
        var killedRunning = 0
        for fraction in [0.3, 0.85] {
            let delay = untilSave * fraction
            let (killed, pid) = try Self.kill(["run", script.path, "--workspace", ws.path], after: delay)
            if killed { killedRunning += 1 }
            try Self.checkIntact(saved, old: old, new: new, at: delay)
            let done = try Self.journal(of: pid, workspace: ws)?.entries.map(\.command) ?? []
            #expect(done.count <= work.count && done == work.prefix(done.count).map { try! Verbs.parse($0)!.description },
                    "journal after a kill at \(delay) s: \(done)")
        }
        #expect(killedRunning >= 1, "the kills came too late to test anything")
        FileHandle.standardError.write(Data("fine-tune run: save reached after \(String(format: "%.1f", untilSave)) s\n".utf8))
    }

    /// (name, ACC, ASR) of each variant in `finemix run`'s JSON summary.
    static func variants(_ stdout: String) throws -> [String] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        let session = try #require(json["session"] as? [String: Any])
        let rows = try #require(session["variants"] as? [[String: Any]])
        return rows.map { row in
            let acc = (row["acc"] as? Double).map { String(format: "%.6f", $0) } ?? "-"
            let asr = (row["asr"] as? Double).map { String(format: "%.6f", $0) } ?? "-"
            return "\(row["name"] as? String ?? "?") acc \(acc) asr \(asr)"
        }
    }
}
