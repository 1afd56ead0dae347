import Foundation
import Testing
@testable import Defense
import TestSupport

/// Nothing finemix did not write is lost: `--force`, `save` and `report` replace only what
/// finemix wrote, refuse the rest in one sentence, and file-system failures read as one sentence
/// (never Foundation's `Error Domain=`). Victims are tiny (64 sentences, 1 epoch, length 16).
@Suite(.serialized) struct OutputSafetyTests {
    static let cache = WorkbenchTmuxTests.cache
    static let env = ["FINEMIX_CACHE": cache]

    static func scratch(_ tag: String) throws -> URL {
        let dir = TempFolder.url("safety-\(tag)")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func attack(_ out: String, seed: Int = 1, force: Bool, in dir: URL, cwd: URL? = nil) throws -> Binary.Output {
        try Binary.run(["attack", "--data", "rt", "--train-size", "64", "--test-size", "32", "--clean-size", "16",
                        "--epochs", "1", "--batch", "16", "--max-length", "16", "--seed", "\(seed)", "--out", out,
                        "--workspace", dir.appendingPathComponent("ws").path] + (force ? ["--force"] : []),
                       environment: env, directory: cwd)
    }

    static func names(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    static func expectOneSentence(_ r: Binary.Output, _ needles: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 1, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Error Domain") && !r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)", sourceLocation: sourceLocation)
        for n in needles { #expect(r.stderr.contains(n), "wanted '\(n)' in: \(r.stderr)", sourceLocation: sourceLocation) }
    }

    // MARK: --force

    @Test func forceKeepsAFolderOfNotes() throws {
        let dir = try Self.scratch("notes")
        defer { try? FileManager.default.removeItem(at: dir) }
        let notes = dir.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: true)
        try Data("my notes".utf8).write(to: notes.appendingPathComponent("notes.txt"))
        let forced = try Self.attack(notes.path, force: true, in: dir)
        Self.expectOneSentence(forced, ["\(notes.path) holds files finemix did not write (notes.txt)", "--force replaces only a folder finemix wrote"])
        let plain = try Self.attack(notes.path, force: false, in: dir)
        Self.expectOneSentence(plain, ["notes.txt"])
        #expect(try Self.names(notes) == ["notes.txt"])
        #expect(try String(contentsOf: notes.appendingPathComponent("notes.txt"), encoding: .utf8) == "my notes")
    }

    @Test func forceRefusesTheCurrentFolder() throws {
        let dir = try Self.scratch("cwd")
        defer { try? FileManager.default.removeItem(at: dir) }
        let here = dir.appendingPathComponent("here")
        try FileManager.default.createDirectory(at: here, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: here.appendingPathComponent("todo.md"))
        for out in [".", "..", here.path] {
            let r = try Self.attack(out, force: true, in: dir, cwd: here)
            Self.expectOneSentence(r, ["the current folder"])
        }
        #expect(try Self.names(here) == ["todo.md"])
    }

    @Test func forceReplacesAFolderFinemixWroteWhole() throws {
        let dir = try Self.scratch("replace")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("victim")
        let first = try Self.attack(out.path, seed: 1, force: false, in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try Self.names(out) == [".finemix", "attack.json", "config.json", "model.safetensors", "tokenizer.json", "vocab.txt"])
        let old = try Data(contentsOf: out.appendingPathComponent("model.safetensors"))
        try Data("left over".utf8).write(to: out.appendingPathComponent("scratch.bin"))
        let refused = try Self.attack(out.path, seed: 2, force: false, in: dir)
        Self.expectOneSentence(refused, ["already holds a folder finemix wrote", "pass --force to replace its contents"])
        let second = try Self.attack(out.path, seed: 2, force: true, in: dir)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Self.names(out) == [".finemix", "attack.json", "config.json", "model.safetensors", "tokenizer.json", "vocab.txt"])
        #expect(try Data(contentsOf: out.appendingPathComponent("model.safetensors")) != old)
        let beside = try Self.names(dir)
        #expect(beside.contains("victim") && !beside.contains { $0.hasPrefix(".") }, "a temporary was left beside the folder: \(beside)")
        #expect(try CheckpointFolder(out).hasHead)
    }

    // MARK: save and report

    /// A tiny victim planted once per test that needs one.
    static func victim(in dir: URL) throws -> URL {
        let out = dir.appendingPathComponent("models/victim")
        let r = try attack(out.path, force: false, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    /// `finemix run` on `lines`, with the workspace `dir/ws` (the script itself is kept elsewhere).
    static func run(_ lines: [String], in dir: URL, cwd: URL? = nil, environment: [String: String] = env) throws -> Binary.Output {
        let script = TempFolder.url("safety-script").appendingPathExtension("fm")
        defer { try? FileManager.default.removeItem(at: script) }
        try Data(lines.joined(separator: "\n").utf8).write(to: script)
        return try Binary.run(["run", script.path, "--workspace", dir.appendingPathComponent("ws").path], environment: environment, directory: cwd)
    }

    @Test func saveRefusesEmptyDotRootDevicesAndLoadedInputs() throws {
        let dir = try Self.scratch("save")
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = try Self.victim(in: dir)
        let here = try Self.scratch("save-cwd")
        defer { try? FileManager.default.removeItem(at: here) }
        try Data("keep".utf8).write(to: here.appendingPathComponent("todo.md"))
        // A private copy of the cache, so that a save that got through could not harm the shared one.
        let cache = dir.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.cache).appendingPathComponent("minilm"),
                                         to: cache.appendingPathComponent("minilm"))
        let env = ["FINEMIX_CACHE": cache.path]
        let fifo = dir.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let link = dir.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: victim)
        let minilm = cache.appendingPathComponent("minilm")
        let load = ["load pre minilm", "load victim \(Command.quote(victim.path))"]
        let cases: [(String, [String])] = [
            ("save \"\"", ["the folder name is empty"]),
            ("save .", ["is the current folder"]),
            ("save /", ["is the root folder"]),
            ("save /dev/null", ["/dev/null is a device, not a folder"]),
            ("save \(fifo.path)", ["is a FIFO, not a folder"]),
            ("save \(victim.path)", ["is the victim (\(victim.path))"]),
            ("save \(link.path)", ["is the victim"]),
            ("save \(victim.path)/../victim", ["is the victim"]),
            ("save \(victim.deletingLastPathComponent().path)", ["holds the victim"]),
            ("save \(dir.path)", ["holds the workspace"]),
            ("save \(minilm.path)", ["is the pre-trained model (\(minilm.path))"]),
            ("save \(cache.path)", ["is the resource cache"]),
        ]
        let before = try Data(contentsOf: victim.appendingPathComponent("model.safetensors"))
        for (line, needles) in cases {
            let r = try Self.run(load + [line], in: dir, cwd: here, environment: env)
            Self.expectOneSentence(r, needles)
        }
        #expect(try Self.names(here) == ["todo.md"])
        #expect(try Data(contentsOf: victim.appendingPathComponent("model.safetensors")) == before)
        // A new folder is written, and saving again replaces it (finemix wrote it).
        let saved = dir.appendingPathComponent("saved")
        let ok = try Self.run(load + ["mix 0.5", "save \(saved.path)", "mix 0.2", "save \(saved.path)"], in: dir, environment: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try Self.names(saved) == [".finemix", "config.json", "model.safetensors", "tokenizer.json", "vocab.txt"])
        #expect(!(try Self.names(dir)).contains { $0.hasSuffix(".tmp") })
    }

    @Test func reportGoesExactlyToThePathNamed() throws {
        let dir = try Self.scratch("report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let here = dir.appendingPathComponent("here")
        try FileManager.default.createDirectory(at: here, withIntermediateDirectories: true)
        for (line, needle) in [("report .", "names a folder"), ("report \"\"", "no path given"), ("report /", "names a folder"),
                               ("report /dev/null", "/dev/null is a device"), ("report \(here.path)", "is a folder")] {
            Self.expectOneSentence(try Self.run(["caption hi", line], in: dir, cwd: here), [needle])
        }
        let left = try Self.names(here)
        #expect(left.isEmpty, "report wrote \(left)")
        #expect(!FileManager.default.fileExists(atPath: "/dev/null.md"))
        let r = try Self.run(["caption hi", "report out/session", "report \(dir.path)/named.md"], in: dir, cwd: here)
        #expect(r.status == 0, "\(r.stderr)")
        let written = ["md", "json", "csv"].map { here.appendingPathComponent("out/session.\($0)").path }
        #expect(r.stderr.contains("report written: " + written.joined(separator: ", ")), "\(r.stderr)")
        #expect(try Self.names(here.appendingPathComponent("out")) == ["session.csv", "session.json", "session.md"])
        #expect(try Self.names(dir).filter { $0.hasPrefix("named") } == ["named.csv", "named.json", "named.md"])
    }

    // MARK: file-system errors

    /// Mounts a tmpfs with `options` (tests run as root) for `body`, unmounting after.
    static func withTmpfs(_ options: String, in dir: URL, _ body: (URL) throws -> Void) throws {
        let mnt = dir.appendingPathComponent("mnt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: mnt, withIntermediateDirectories: true)
        func sh(_ args: [String]) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = args
            try p.run(); p.waitUntilExit()
            return p.terminationStatus
        }
        try #require(try sh(["mount", "-t", "tmpfs", "-o", options, "tmpfs", mnt.path]) == 0, "mount -t tmpfs needs root")
        defer { _ = try? sh(["umount", mnt.path]) }
        try body(mnt)
    }

    @Test func fileSystemErrorsReadAsOneSentence() throws {
        let dir = try Self.scratch("fserr")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let long = String(repeating: "n", count: 300)
        Self.expectOneSentence(try Self.run(["report \(file.path)/sub/r"], in: dir), ["a part of the path is a file, not a folder"])
        Self.expectOneSentence(try Self.run(["report \(dir.path)/\(long)"], in: dir), ["the name is too long"])
        Self.expectOneSentence(try Self.attack(file.path, force: true, in: dir), ["\(file.path) is a file, not a folder"])
        Self.expectOneSentence(try Binary.run(["synth", "--config", "minilm", "--out", "\(file.path)/sub", "--workspace", dir.appendingPathComponent("ws").path],
                                              environment: Self.env), ["a part of the path is a file, not a folder"])
        Self.expectOneSentence(try Binary.run(["synth", "--config", "minilm", "--out", "\(dir.path)/\(long)", "--workspace", dir.appendingPathComponent("ws").path],
                                              environment: Self.env), ["the name is too long"])
        try Self.withTmpfs("ro,size=1m", in: dir) { ro in
            Self.expectOneSentence(try Self.run(["caption hi"], in: ro), ["the workspace \(ro.path)/ws cannot be written", "the file system is read-only"])
            for command in [["demo"], ["tui"]] {
                Self.expectOneSentence(try Binary.run(command + ["--workspace", ro.path + "/ws"], environment: Self.env),
                                       ["the workspace \(ro.path)/ws cannot be written", "the file system is read-only"])
            }
            Self.expectOneSentence(try Self.run(["report \(ro.path)/r"], in: dir), ["the file system is read-only"])
            Self.expectOneSentence(try Binary.run(["synth", "--config", "minilm", "--out", "\(ro.path)/model", "--workspace", dir.appendingPathComponent("ws").path],
                                                  environment: Self.env), ["the file system is read-only"])
        }
        try Self.withTmpfs("size=64k", in: dir) { small in
            // Fill it: a file grown until the disk says no.
            let fd = open(small.appendingPathComponent("fill").path, O_WRONLY | O_CREAT, 0o644)
            var chunk = [UInt8](repeating: 1, count: 4096)
            while write(fd, &chunk, chunk.count) > 0 {}
            close(fd)
            Self.expectOneSentence(try Self.run(["caption hi"], in: small), ["the workspace \(small.path)/ws cannot be written", "no space left on the device"])
            Self.expectOneSentence(try Binary.run(["synth", "--config", "minilm", "--out", "\(small.path)/model", "--workspace", dir.appendingPathComponent("ws").path],
                                                  environment: Self.env), ["no space left on the device"])
            #expect(!(try Self.names(small)).contains { $0.hasSuffix(".tmp") }, "a temporary was left on the full disk")
        }
    }
}
