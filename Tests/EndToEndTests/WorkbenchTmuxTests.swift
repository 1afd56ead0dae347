import Foundation
import Testing
import TestSupport

/// Drives the real `finemix tui` under tmux on the real MiniLM and a small planted victim:
/// palette commands, a live fine-tune (Monitor grows, Variants gains a row), a key during the
/// job shows within 100 ms, resize during a job, cancel with `c`, quit with `q`.
@Suite(.serialized) struct WorkbenchTmuxTests {
    typealias Tmux = TuiPreviewTests.Tmux

    static let cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/finemix/cache").path

    /// Plants a small victim once (600 sentences, 1 epoch).
    static func plant(in dir: URL) throws -> URL {
        let out = dir.appendingPathComponent("victim")
        let r = try Binary.run(["attack", "--pre", "minilm", "--data", "rt", "--train-size", "600", "--test-size", "200",
                                "--epochs", "1", "--out", out.path, "--workspace", dir.appendingPathComponent("ws").path],
                               environment: ["FINEMIX_CACHE": cache])
        #expect(r.status == 0, "attack failed: \(r.stderr)")
        return out
    }

    func exitStatus(_ screen: String) -> Int? {
        for line in screen.split(separator: "\n") where line.hasPrefix("EXIT=") {
            if let n = Int(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) { return n }
        }
        return nil
    }

    /// The header's job line (the second row of the screen).
    func header(_ screen: String) -> String {
        let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
        return rows.count > 1 ? String(rows[1]) : ""
    }

    func palette(_ t: Tmux, _ line: String) throws {
        try t.keys(":")
        _ = try t.wait(3) { $0.contains("Command") || $0.contains(":") }
        try t.type(line)
    }

    /// An 8-colour terminal (TERM=xterm) gets the 16-colour theme, and --ascii draws only ASCII,
    /// on the real engine with the real MiniLM loaded.
    @Test func eightColourTerminalAndAsciiOnTheRealEngine() throws {
        let dir = TempFolder.url("wb16")
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tmux(width: 100, height: 30)
        try t.type("TERM=xterm FINEMIX_CACHE=\(Self.cache) \(Binary.url.path) tui --pre minilm --ascii --workspace \(dir.path); echo EXIT=$?")
        let s = try t.wait(60) { $0.contains("load finished") }
        #expect(s.contains("load finished: pre-trained: all-MiniLM-L6-v2"), "MiniLM did not load:\n\(s)")
        #expect(s.contains("16 ascii 100×30") || s.contains("16 ascii 100x30"), "not the 16-colour theme in ASCII:\n\(s)")
        let screen = s.split(separator: "\n").filter { !$0.contains("EXIT=") && !$0.contains("FINEMIX_CACHE") }.joined(separator: "\n")
        let odd = screen.unicodeScalars.filter { !$0.isASCII }
        #expect(odd.isEmpty, "non-ASCII under --ascii: \(String(String.UnicodeScalarView(odd.prefix(20))))")
        try t.keys("q")
        let after = try t.wait(10) { self.exitStatus($0) != nil }
        #expect(exitStatus(after) == 0)
        #expect(try t.terminalRestored())
    }

    @Test func realWorkbenchDefenceUnderTmux() throws {
        let dir = TempFolder.url("wbtmux")
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = try Self.plant(in: dir)
        let ws = dir.appendingPathComponent("ws").path
        let t = try Tmux(width: 120, height: 40)
        try t.type("FINEMIX_CACHE=\(Self.cache) \(Binary.url.path) tui --pre minilm --victim \(victim.path) --workspace \(ws); echo EXIT=$?")
        // The victim loads and inspect fills the drift map.
        var s = try t.wait(60) { $0.contains("┏ 1 Layers") && $0.contains("encoder.layer.5") }
        #expect(s.contains("encoder.layer.5"), "no drift rows:\n\(s)")

        try palette(t, "data rt train=600 clean=32 test=200")
        s = try t.wait(60) { $0.contains("clean 32") }
        #expect(s.contains("clean 32"), "data did not load:\n\(s)")
        try palette(t, "mix 0.3")
        try palette(t, "epur top=20")
        try t.keys("5")
        s = try t.wait(60) { $0.contains("mix 0.30 + E-PUR") }
        #expect(s.contains("mix 0.30 + E-PUR"), "no mix + E-PUR row:\n\(s)")

        // Fine-tune: the header shows the job; a key during the job shows within 100 ms.
        try palette(t, "finetune epochs=3")
        s = try t.wait(60) { header($0).contains("fine-tune") && header($0).contains("step") }
        #expect(header(s).contains("fine-tune"), "no job in the header:\n\(s)")
        let sent = Date()
        try t.keys("?")
        // Poll as fast as tmux answers (each capture is a few ms), not the usual 100 ms.
        var latency = 99.0
        while Date().timeIntervalSince(sent) < 2 {
            s = try t.capture()
            if s.contains("type to search") { latency = Date().timeIntervalSince(sent); break }
        }
        #expect(s.contains("type to search"))
        #expect(latency < 0.1, "help took \(Int(latency * 1000)) ms to show during the fine-tune")
        FileHandle.standardError.write(Data("key-to-screen latency during fine-tune: \(Int(latency * 1000)) ms\n".utf8))
        try t.keys("Escape")
        // Resize during the job: the screen redraws at the new size.
        try t.run(["resize-window", "-t", "main", "-x", "100", "-y", "32"])
        s = try t.wait(5) { $0.contains("┏ 1 Layers") && $0.split(separator: "\n").count <= 32 }
        #expect(s.contains("finemix"))
        try t.run(["resize-window", "-t", "main", "-x", "120", "-y", "40"])
        // The job ends: the Variants table has one more row and the Monitor has points.
        try t.keys("5")
        s = try t.wait(150) { $0.contains("E-PUR + FT") && $0.contains(" idle") }
        #expect(s.contains("mix 0.30 + E-PUR + FT"), "no fine-tuned row:\n\(s)")
        try t.keys("4")
        s = try t.wait(5) { $0.contains("loss") }
        #expect(s.contains("loss"))
        #expect(!s.contains("loss —"), "Monitor has no loss points:\n\(s)")

        // Cancel a long job with c.
        try palette(t, "finetune epochs=200")
        s = try t.wait(60) { header($0).contains("fine-tune") && header($0).contains("step") }
        try t.keys("c")
        s = try t.wait(30) { $0.contains("cancelled") }
        #expect(s.contains("cancelled"), "cancel did not show:\n\(s)")
        _ = try t.wait(30) { header($0).contains("idle") }

        try t.keys("q")
        s = try t.wait(10) { self.exitStatus($0) != nil }
        #expect(exitStatus(s) == 0, "exit:\n\(s)")
        #expect(try t.terminalRestored())
    }
}
