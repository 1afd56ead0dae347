import Foundation
import Testing
@testable import Defense
import TestSupport

@Suite struct AtomicFileTests {
    @Test func replacesWholeFileAndLeavesNoTemporary() throws {
        let dir = TempFolder.url("atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("a.txt")
        try AtomicFile.write(Data("first".utf8), to: target)
        try AtomicFile.write(Data("second".utf8), to: target)
        #expect(try String(contentsOf: target, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.txt"])
    }

    @Test func failingBodyKeepsTheOldFile() throws {
        let dir = TempFolder.url("atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("a.txt")
        try AtomicFile.write(Data("old".utf8), to: target)
        #expect(throws: FinemixError.self) {
            try AtomicFile.write(to: target) { fd in
                try AtomicFile.writeAll(fd, UnsafeRawBufferPointer(start: nil, count: 0), path: target.path)
                throw FinemixError("interrupted")
            }
        }
        #expect(try String(contentsOf: target, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.txt"])
    }
}

@Suite struct AtomicFileCrashTests {
    @Test func aDeadWritersTemporaryIsRemovedByTheNextWrite() throws {
        let dir = TempFolder.url("atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("model.safetensors")
        try AtomicFile.write(Data("old".utf8), to: target)
        // Int32.max is above any Linux pid_max: that writer is certainly gone. Our own pid is alive.
        let stale = ".model.safetensors.\(Int32.max).12345.tmp"
        let live = ".model.safetensors.\(getppid()).777.tmp"
        let other = ".config.json.\(Int32.max).1.tmp"
        for n in [stale, live, other] { try Data("half".utf8).write(to: dir.appendingPathComponent(n)) }
        try AtomicFile.write(Data("new".utf8), to: target)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(names == ["model.safetensors", live, other])
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")
    }
}
