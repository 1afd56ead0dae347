import Foundation
import Testing
@testable import Defense
import TestSupport

/// OutputFolder: only a folder finemix wrote is replaced, atomically; everything else is refused
/// with one sentence naming what is there.
@Suite struct OutputFolderTests {
    static func scratch() throws -> URL {
        let dir = TempFolder.url("outfolder")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func names(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as FinemixError { return e.message } catch { return "not a FinemixError: \(error)" }
        return "no error"
    }

    @Test func writesANewFolderWithItsMarkerAndNoTemporary() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("model")
        try OutputFolder(path: out.path, command: "attack", force: false, inputs: []).write { tmp in
            try AtomicFile.write(Data("w".utf8), to: tmp.appendingPathComponent("model.safetensors"))
        }
        #expect(try Self.names(out) == [".finemix", "model.safetensors"])
        #expect(try String(contentsOf: out.appendingPathComponent(".finemix"), encoding: .utf8) == "finemix attack\n")
        #expect(try Self.names(dir) == ["model"])
    }

    @Test func forceNeverReplacesAFolderOfNotes() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notes = dir.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: notes.appendingPathComponent("notes.txt"))
        for force in [false, true] {
            let m = Self.message { try OutputFolder(path: notes.path, command: "attack", force: force, inputs: []).write { _ in } }
            #expect(m.contains("notes.txt") && m.contains("finemix did not write") && m.contains("--force replaces only a folder finemix wrote"), "\(m)")
        }
        #expect(try Self.names(notes) == ["notes.txt"])
        #expect(try Self.names(dir) == ["notes"])
    }

    @Test func withoutForceTheRefusalSaysTheContentsWouldBeReplaced() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("victim")
        try OutputFolder(path: out.path, command: "attack", force: false, inputs: []).write { tmp in
            try AtomicFile.write(Data("old".utf8), to: tmp.appendingPathComponent("old.bin"))
        }
        let m = Self.message { _ = try OutputFolder(path: out.path, command: "attack", force: false, inputs: []) }
        #expect(m.contains("pass --force to replace its contents") && m.contains("old.bin"), "\(m)")
    }

    @Test func replacesAFolderItWroteWholeAndLeavesNoTemporary() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("victim")
        try OutputFolder(path: out.path, command: "attack", force: false, inputs: []).write { tmp in
            try AtomicFile.write(Data("old".utf8), to: tmp.appendingPathComponent("old.bin"))
        }
        try OutputFolder(path: out.path, command: "attack", force: true, inputs: []).write { tmp in
            try AtomicFile.write(Data("new".utf8), to: tmp.appendingPathComponent("new.bin"))
        }
        #expect(try Self.names(out) == [".finemix", "new.bin"])
        #expect(try Self.names(dir) == ["victim"])
        // A failing writer leaves the folder as it was, and no temporary beside it.
        #expect(throws: FinemixError.self) {
            try OutputFolder(path: out.path, command: "attack", force: true, inputs: []).write { tmp in
                try AtomicFile.write(Data("half".utf8), to: tmp.appendingPathComponent("half.bin"))
                throw FinemixError("interrupted")
            }
        }
        #expect(try Self.names(out) == [".finemix", "new.bin"])
        #expect(try Self.names(dir) == ["victim"])
    }

    @Test func theSwapExchangesBothNames() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: a, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: b, withIntermediateDirectories: true)
        try Data().write(to: a.appendingPathComponent("in-a"))
        #expect(OutputFolder.exchange(a.path, b.path), "renameat2(RENAME_EXCHANGE) is missing")
        #expect(try Self.names(b) == ["in-a"] && Self.names(a).isEmpty)
    }

    @Test func refusesTheRootCurrentAndHomeFoldersAndTheirParents() throws {
        let cwd = FileManager.default.currentDirectoryPath
        for (path, what) in [("", "empty"), ("/", "is the root folder"), (".", "is the current folder"),
                             ("..", "holds the current folder"), (NSHomeDirectory(), "is the home folder"), ("~", "is the home folder")] {
            let m = Self.message { _ = try OutputFolder(path: path, command: "save", force: true, forceFlag: nil, inputs: []) }
            #expect(m.contains(what), "\(path): \(m)")
        }
        #expect(FileManager.default.currentDirectoryPath == cwd)
    }

    @Test func refusesAFolderHoldingAnInputThroughSymlinksAndDotDot() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = dir.appendingPathComponent("models"), victim = models.appendingPathComponent("victim")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        try Data("w".utf8).write(to: victim.appendingPathComponent("model.safetensors"))
        let link = dir.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: models)
        let inputs = [("the victim", victim)]
        for path in [victim.path, models.path, link.path, link.path + "/victim", victim.path + "/../../models",
                     dir.path + "/other/../models/victim"] {
            let m = Self.message { _ = try OutputFolder(path: path, command: "save", force: true, forceFlag: nil, inputs: inputs) }
            #expect(m.contains("the victim (\(victim.path))"), "\(path): \(m)")
        }
        #expect(try Self.names(victim) == ["model.safetensors"])
    }

    @Test func refusesAFileADeviceAndAFIFO() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("file.txt"), fifo = dir.appendingPathComponent("fifo")
        try Data("keep".utf8).write(to: file)
        #expect(mkfifo(fifo.path, 0o644) == 0)
        for (path, kind) in [(file.path, "is a file, not a folder"), ("/dev/null", "is a device, not a folder"), (fifo.path, "is a FIFO, not a folder")] {
            let m = Self.message { try OutputFolder(path: path, command: "save", force: true, forceFlag: nil, inputs: []).write { _ in } }
            #expect(m.contains(kind), "\(path): \(m)")
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "keep")
    }

    @Test func atomicFileRefusesToRenameOverADeviceOrAFIFO() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let m = Self.message { try AtomicFile.write(Data("x".utf8), to: fifo) }
        #expect(m.contains("is a FIFO, not a file"), "\(m)")
        var st = stat()
        #expect(stat(fifo.path, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
    }
}

/// File-system failures read as one sentence with the path and the reason, never Foundation's
/// `Error Domain=` text.
@Suite struct FileSystemErrorTests {
    @Test func foundationErrorsBecomeOneSentence() throws {
        let dir = try OutputFolderTests.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let long = dir.appendingPathComponent(String(repeating: "n", count: 300))
        let sub = file.appendingPathComponent("sub"), missing = dir.appendingPathComponent("missing")
        let cases: [(() throws -> Void, URL, String)] = [
            ({ try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true) }, sub, "a part of the path is a file, not a folder"),
            ({ try FileManager.default.createDirectory(at: long, withIntermediateDirectories: true) }, long, "the name is too long"),
            ({ _ = try Data(contentsOf: missing) }, missing, "no such file or folder"),
            ({ try Data("x".utf8).write(to: sub) }, sub, "a part of the path is a file, not a folder"),
        ]
        for (body, path, reason) in cases {
            do { try body(); Issue.record("no error") } catch {
                let raw = "\(error)"
                for m in [FinemixError.describing(error).message, FinemixError.fileSystem(error, path: path.path, action: "write").message] {
                    #expect(!m.contains("Error Domain") && !m.contains("NSCocoaErrorDomain"), "\(m) (from \(raw))")
                    #expect(m.contains(reason), "\(m) (from \(raw))")
                }
            }
        }
        for (code, text) in [(CocoaError.Code.fileWriteVolumeReadOnly, "read-only"), (.fileWriteOutOfSpace, "no space left"),
                             (.fileWriteNoPermission, "permission denied"), (.fileNoSuchFile, "no such file or folder")] {
            let m = FinemixError.fileSystem(CocoaError(code), path: "/x", action: "write the folder").message
            #expect(m == "/x: cannot write the folder: \(FileSystemReason.text(FileSystemReason.errnoCode(of: CocoaError(code))!))" && m.contains(text), "\(m)")
        }
        #expect(FinemixError.fileSystem(errno: ENOTDIR, path: "/x", action: "write").message == "/x: cannot write: a part of the path is a file, not a folder")
    }

    @Test func atomicFileUnderAFileOrWithATooLongNameSaysWhy() throws {
        let dir = try OutputFolderTests.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        for (url, reason) in [(file.appendingPathComponent("a/b.json"), "a part of the path is a file, not a folder"),
                              (dir.appendingPathComponent(String(repeating: "n", count: 300) + ".json"), "the name is too long")] {
            let m = OutputFolderTests.message { try AtomicFile.write(Data("x".utf8), to: url) }
            #expect(m.contains(reason) && !m.contains("Error Domain"), "\(m)")
        }
    }
}

/// The journal: a write that fails after the workspace was checked fails no command, and is said once.
@Suite struct JournalFailureTests {
    @Test func aFailedJournalWriteIsSaidOnceAndFailsNoCommand() throws {
        let dir = try OutputFolderTests.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = dir.appendingPathComponent("sessions/s/journal.jsonl")
        let session = try Session(workspace: dir, journal: journal)
        try session.execute("caption first")
        // The session's folder becomes a file: every later write of the journal fails (ENOTDIR).
        try FileManager.default.removeItem(at: journal.deletingLastPathComponent())
        try Data().write(to: journal.deletingLastPathComponent())
        let logged = LogLines()
        let sink: EventSink = { if case .log(.error, let text) = $0 { logged.add(text) } }
        #expect(try session.execute("caption second", events: sink).message == "second")
        #expect(try session.execute("caption third", events: sink).message == "third")
        #expect(logged.all.count == 1, "\(logged.all)")
        let m = try #require(logged.all.first)
        #expect(m.contains(journal.path) && m.contains("a part of the path is a file") && !m.contains("Error Domain"), "\(m)")
        #expect(session.journalFailure != nil)
    }

    @Test func aWorkspaceThatCannotBeWrittenIsRefusedBeforeAnyCommand() throws {
        let dir = try OutputFolderTests.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("ws")
        try Data().write(to: file)
        let m = OutputFolderTests.message { _ = try Session(workspace: file, journal: Session.newJournalURL(workspace: file)) }
        #expect(m.hasPrefix("the workspace \(file.path) cannot be written") && m.contains("--workspace") && !m.contains("Error Domain"), "\(m)")
    }
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
