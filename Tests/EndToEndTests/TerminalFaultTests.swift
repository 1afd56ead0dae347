import Foundation
import Testing
import TestSupport

/// Terminal faults on the real `finemix tui` under tmux: signals during a fine-tune, an error
/// inside a job, a 10×3 terminal, TERM=dumb and unknown terminals, non-UTF-8 locales. After each
/// the shell's terminal must be back in cooked mode with echo. Models are synthetic
/// (`finemix synth`), so nothing waits on the real MiniLM.
@Suite(.serialized) struct TerminalFaultTests {
    typealias Tmux = TuiPreviewTests.Tmux
    static let cache = WorkbenchTmuxTests.cache

    func exitStatus(_ s: String) -> Int? { TuiPreviewTests().exitStatus(s) }

    /// A scratch folder with a synthetic pre-trained model, a victim that drifted from it, and a
    /// victim whose weights file was cut in half.
    static func models(_ tag: String) throws -> URL {
        let dir = TempFolder.url("termfault-\(tag)")
        try? FileManager.default.removeItem(at: dir)
        let ws = dir.appendingPathComponent("ws").path
        for args in [["synth", "--config", "minilm", "--seed", "1", "--out", dir.appendingPathComponent("pre").path],
                     ["synth", "--config", "minilm", "--seed", "1", "--labels", "2", "--out", dir.appendingPathComponent("victim").path,
                      "--perturb", "encoder.layer.2.output.dense.weight=0.05"],
                     ["synth", "--config", "minilm", "--seed", "2", "--labels", "2", "--out", dir.appendingPathComponent("broken").path]] {
            let r = try Binary.run(args + ["--workspace", ws], environment: ["FINEMIX_CACHE": cache])
            #expect(r.status == 0, "synth failed: \(r.stderr)")
        }
        let weights = dir.appendingPathComponent("broken/model.safetensors")
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count / 2).write(to: weights)
        return dir
    }

    /// Starts `finemix ARGS` in the pane; the process id lands in `pid` so the test can signal it.
    func launch(_ t: Tmux, _ args: String, env: String = "", in dir: URL) throws {
        let pid = dir.appendingPathComponent("pid").path
        try? FileManager.default.removeItem(atPath: pid)
        try t.type("clear")
        _ = try t.wait(3) { !$0.contains("EXIT=") }
        try t.type("sh -c 'echo $$ > \(pid); exec env \(env) FINEMIX_CACHE=\(Self.cache) \(Binary.url.path) \(args)'; echo EXIT=$?")
    }

    func pid(in dir: URL) throws -> Int32 {
        let text = try String(contentsOf: dir.appendingPathComponent("pid"), encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func palette(_ t: Tmux, _ line: String) throws {
        try t.keys(":")
        _ = try t.wait(3) { $0.contains("Command") || $0.contains(":") }
        try t.type(line)
    }

    func header(_ screen: String) -> String {
        let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
        return rows.count > 1 ? String(rows[1]) : ""
    }

    /// Opens the workbench on the synthetic pair with data, runs a failing job and a mix, starts
    /// a long fine-tune and returns once it is running.
    func busyWorkbench(_ t: Tmux, _ dir: URL) throws {
        let ws = dir.appendingPathComponent("ws").path
        try launch(t, "tui --pre \(dir.appendingPathComponent("pre").path) --victim \(dir.appendingPathComponent("victim").path) --workspace \(ws)", in: dir)
        var s = try t.wait(30) { $0.contains("encoder.layer.2") }
        #expect(s.contains("encoder.layer.2"), "no drift rows:\n\(s)")
        try palette(t, "data rt train=0 clean=16 test=32 max-length=16")
        s = try t.wait(30) { $0.contains("clean 16") }
        #expect(s.contains("clean 16"), "data did not load:\n\(s)")
        try palette(t, "mix 0.5 seed=3")
        try t.keys("5")
        s = try t.wait(30) { $0.contains("mix 0.50") && self.header($0).contains("idle") }
        try palette(t, "finetune epochs=500 batch=8")
        s = try t.wait(30) { self.header($0).contains("fine-tune") && self.header($0).contains("step") }
        #expect(header(s).contains("fine-tune"), "the fine-tune did not start:\n\(s)")
    }

    @Test func anErrorInsideAJobIsLoggedAndTheWorkbenchStaysUsable() throws {
        let dir = try Self.models("error")
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tmux(width: 120, height: 40)
        let ws = dir.appendingPathComponent("ws").path
        try launch(t, "tui --pre \(dir.appendingPathComponent("pre").path) --workspace \(ws)", in: dir)
        _ = try t.wait(20) { $0.contains("┏ 1 Layers") && self.header($0).contains("idle") }
        // The load job reads the cut weights file and fails part way: the error names the file.
        try palette(t, "load victim \(dir.appendingPathComponent("broken").path)")
        var s = try t.wait(20) { $0.contains("error") && $0.contains("broken") && self.header($0).contains("idle") }
        #expect(s.contains("error") && s.contains("broken"), "no error line:\n\(s)")
        // Still usable: the next job runs.
        try palette(t, "load victim \(dir.appendingPathComponent("victim").path)")
        try palette(t, "mix 0.5 seed=3")
        try t.keys("5")
        s = try t.wait(30) { $0.contains("mix 0.50") && self.header($0).contains("idle") }
        #expect(s.contains("mix 0.50"), "no mix row after the error:\n\(s)")
        try t.keys("q")
        s = try t.wait(10) { self.exitStatus($0) != nil }
        #expect(exitStatus(s) == 0)
        #expect(try t.terminalRestored())
    }

    /// Ctrl-C, SIGTERM and SIGHUP while a fine-tune runs: exit 128+N, terminal restored; then
    /// `finemix tui --resume` brings the session back (the mix row, from the journal).
    @Test(arguments: [("INT", SIGINT), ("TERM", SIGTERM), ("HUP", SIGHUP)])
    func aSignalDuringAJobRestoresTheTerminalAndTheSessionResumes(_ name: String, _ sig: Int32) throws {
        let dir = try Self.models(name)
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tmux(width: 120, height: 40)
        try busyWorkbench(t, dir)
        if sig == SIGINT { try t.keys("C-c") } else { kill(try pid(in: dir), sig) }
        var s = try t.wait(10) { self.exitStatus($0) != nil }
        #expect(exitStatus(s) == 128 + Int(sig), "SIG\(name):\n\(s)")
        #expect(try t.terminalRestored(), "SIG\(name)")

        try launch(t, "tui --resume --workspace \(dir.appendingPathComponent("ws").path)", in: dir)
        // The journal's load, data, inspect and mix run again: the mix is the current variant.
        s = try t.wait(30) { $0.contains("variant mix 0.50") && $0.contains("mix 0.50: keeps") && self.header($0).contains("idle") }
        #expect(s.contains("variant mix 0.50") && s.contains("inspect: drift"), "resume after SIG\(name):\n\(s)")
        try t.keys("q")
        s = try t.wait(10) { self.exitStatus($0) != nil }
        #expect(exitStatus(s) == 0)
        #expect(try t.terminalRestored())
    }

    @Test func aTenByThreeTerminalShowsTheGateThenTheFullScreenReturns() throws {
        let dir = TempFolder.url("termfault-size")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let t = try Tmux(width: 120, height: 40)
        try launch(t, "tui --workspace \(dir.appendingPathComponent("ws").path)", in: dir)
        var s = try t.wait(20) { $0.contains("┏ 1 Layers") }
        try t.run(["resize-window", "-t", "main", "-x", "10", "-y", "3"])
        s = try t.wait(5) { $0.hasPrefix("Terminal") }
        let rows = s.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(s.hasPrefix("Terminal") && !s.contains("Layers"), "no size gate at 10×3:\n\(s)")
        #expect(rows.allSatisfy { $0.count <= 10 }, "drawn past 10 columns:\n\(s)")
        try t.run(["resize-window", "-t", "main", "-x", "120", "-y", "40"])
        s = try t.wait(5) { $0.contains("┏ 1 Layers") && $0.contains("7 Log") }
        #expect(s.contains("┏ 1 Layers") && s.contains("7 Log"), "the full screen did not return:\n\(s)")
        try t.keys("q")
        s = try t.wait(10) { self.exitStatus($0) != nil }
        #expect(exitStatus(s) == 0)
        #expect(try t.terminalRestored())
    }

    @Test func termDumbAndAnUnknownTerminalAreRefusedInWords() throws {
        let dir = TempFolder.url("termfault-dumb")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let t = try Tmux(width: 160, height: 30)
        for (term, words) in [("dumb", "TERM=dumb cannot move the cursor"), ("no-such-terminal", "not in this system's terminfo database")] {
            try launch(t, "tui --workspace \(dir.appendingPathComponent("ws").path)", env: "TERM=\(term)", in: dir)
            let s = try t.wait(10) { self.exitStatus($0) != nil }
            #expect(exitStatus(s) == 1, "TERM=\(term):\n\(s)")
            #expect(s.contains(words), "TERM=\(term):\n\(s)")
            #expect(try t.terminalRestored(), "TERM=\(term)")
        }
    }

    @Test func nonUTF8LocalesFallBackOrDrawASCII() throws {
        let dir = TempFolder.url("termfault-locale")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ws = dir.appendingPathComponent("ws").path
        let t = try Tmux(width: 120, height: 40)
        // LANG=C and LC_ALL=POSIX name no character set: finemix takes C.UTF-8 and draws in full.
        for env in ["-u LC_ALL -u LC_CTYPE LANG=C", "-u LANG -u LC_CTYPE LC_ALL=POSIX"] {
            try launch(t, "tui --workspace \(ws)", env: env, in: dir)
            var s = try t.wait(20) { $0.contains("┏ 1 Layers") }
            #expect(s.contains("┏ 1 Layers") && s.contains("ρ 0.30"), "\(env):\n\(s)")
            try t.keys("q")
            s = try t.wait(10) { self.exitStatus($0) != nil }
            #expect(exitStatus(s) == 0, "\(env)")
            #expect(try t.terminalRestored(), "\(env)")
        }
        // A real ISO-8859-1 locale: every cell is ASCII, and the log says why.
        let locales = dir.appendingPathComponent("locales")
        try FileManager.default.createDirectory(at: locales, withIntermediateDirectories: true)
        try t.type("localedef -i en_US -f ISO-8859-1 \(locales.path)/en_US.ISO-8859-1; echo LOCALEDEF=$?")
        var s = try t.wait(30) { $0.contains("LOCALEDEF=0") }
        #expect(s.contains("LOCALEDEF=0"), "could not build the ISO-8859-1 locale:\n\(s)")
        try launch(t, "tui --workspace \(ws)", env: "-u LC_ALL -u LC_CTYPE LOCPATH=\(locales.path) LANG=en_US.ISO-8859-1", in: dir)
        s = try t.wait(20) { $0.contains("# 1 Layers") && $0.contains("not UTF-8") }
        #expect(s.contains("# 1 Layers") && s.contains("not UTF-8"), "ISO-8859-1:\n\(s)")
        #expect(s.unicodeScalars.allSatisfy { $0.value < 0x7F }, "non-ASCII on an ISO-8859-1 terminal:\n\(s)")
        try t.keys("q")
        s = try t.wait(10) { self.exitStatus($0) != nil }
        #expect(exitStatus(s) == 0)
        #expect(try t.terminalRestored())
    }
}
