import Foundation
import Testing

/// Drives `finemix tui-preview` in a real terminal (tmux): start, Tab, resize, quit, signals,
/// LANG unset and --ascii. Each test uses its own tmux server socket.
@Suite(.serialized) struct TuiPreviewTests {
    final class Tmux {
        let socket = "finemix-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"

        init(width: Int, height: Int) throws {
            // The tmux server itself runs under a UTF-8 locale so capture-pane keeps braille
            // intact; the program under test gets whatever environment each test gives it.
            try run(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", "main", "env PS1='$ ' sh"])
        }

        deinit { _ = try? run(["kill-server"]) }

        @discardableResult
        func run(_ args: [String]) throws -> String {
            // Through the shell, not Process: the tmux server that new-session starts inherits
            // Foundation's bookkeeping descriptors and waitUntilExit would then never return.
            let quoted = (["tmux", "-u", "-L", socket] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            let line = "env -u TMUX LANG=C.UTF-8 " + quoted.joined(separator: " ") + " 2>/dev/null </dev/null"
            guard let f = popen(line, "r") else { throw CocoaError(.fileReadUnknown) }
            var data = Data()
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                data.append(contentsOf: buf[0..<n])
            }
            pclose(f)
            return String(decoding: data, as: UTF8.self)
        }

        func type(_ line: String) throws { try run(["send-keys", "-t", "main", "-l", line]); try run(["send-keys", "-t", "main", "Enter"]) }
        func keys(_ names: String...) throws { try run(["send-keys", "-t", "main"] + names) }
        /// The screen; no screen of any test may show Foundation's raw error text.
        func capture() throws -> String {
            let screen = try run(["capture-pane", "-p", "-t", "main"])
            #expect(!screen.contains("Error Domain="), "raw Foundation error text on screen:\n\(screen)")
            return screen
        }

        /// Polls the screen until `ok` holds (or the timeout passes); returns the last capture.
        func wait(_ seconds: Double = 10, _ ok: (String) -> Bool) throws -> String {
            let end = Date().addingTimeInterval(seconds)
            var screen = ""
            while Date() < end {
                screen = try capture()
                if ok(screen) { return screen }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return screen
        }

        /// Checks the shell's terminal is back in cooked mode with echo.
        func terminalRestored() throws -> Bool {
            try type("clear; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo END")
            let s = try wait { $0.contains("END") && !$0.contains("stty") }
            return s.contains("icanon echo END") || s.contains("icanon echo  END")
        }
    }

    static var binary: String { Binary.url.path }

    /// The status the shell printed as a line `EXIT=N` (the typed command line also contains
    /// "EXIT=$?", so match digits only).
    func exitStatus(_ screen: String) -> Int? {
        for line in screen.split(separator: "\n") where line.hasPrefix("EXIT=") {
            if let n = Int(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) { return n }
        }
        return nil
    }

    func hasBraille(_ s: String) -> Bool { s.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }

    @Test func startTabResizeQuitRestoresTheTerminal() throws {
        let t = try Tmux(width: 120, height: 40)
        try t.type("\(Self.binary) tui-preview; echo EXIT=$?")
        var s = try t.wait { $0.contains("┏ 1 Layers") && $0.contains("4 Monitor") }
        #expect(s.contains("┏ 1 Layers") && s.contains("all-MiniLM-L6-v2") && s.contains("fine-tune"))
        #expect(hasBraille(s))
        try t.keys("Tab")
        s = try t.wait { $0.contains("┏ 2 Mixer") }
        #expect(s.contains("┏ 2 Mixer") && s.contains("┌ 1 Layers"))
        try t.keys("]")
        s = try t.wait { $0.contains("ρ 0.35 kept from victim") }
        #expect(s.contains("ρ 0.35 kept from victim"))
        try t.run(["resize-window", "-t", "main", "-x", "80", "-y", "24"])
        s = try t.wait { screen in
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.count >= 23 && lines[22].hasPrefix("└") && lines[22].hasSuffix("┘") && lines[22].count == 80
        }
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count >= 23 && lines[22].hasSuffix("┘"), "log box bottom at row 23 of 24:\n\(s)")
        #expect(s.contains("┏ 2 Mixer") && lines.allSatisfy { $0.count <= 80 })
        // Too small: the notice, and q still quits (no confirmation in the gate).
        try t.run(["resize-window", "-t", "main", "-x", "30", "-y", "10"])
        s = try t.wait { $0.contains("too small") }
        #expect(s.contains("Terminal too small: 30×10"))
        try t.run(["resize-window", "-t", "main", "-x", "100", "-y", "30"])
        _ = try t.wait { $0.contains("┏ 2 Mixer") }
        // A job runs in the preview, so q asks first.
        try t.keys("q")
        s = try t.wait { $0.contains("Quit anyway?") }
        #expect(s.contains("Quit anyway?"))
        try t.keys("y")
        s = try t.wait { exitStatus($0) != nil }
        #expect(exitStatus(s) == 0)
        #expect(try t.terminalRestored())
    }

    @Test func langUnsetStillDrawsBrailleAndCtrlCRestores() throws {
        let t = try Tmux(width: 120, height: 40)
        try t.type("env -u LANG -u LC_ALL -u LC_CTYPE \(Self.binary) tui-preview; echo EXIT=$?")
        let s = try t.wait { $0.contains("4 Monitor") && $0.contains("ρ 0.30") }
        #expect(s.contains("ρ 0.30 kept from victim") && hasBraille(s) && s.contains("┏ 1 Layers"))
        try t.keys("C-c")
        let after = try t.wait { exitStatus($0) != nil }
        #expect(exitStatus(after) == 130)
        #expect(try t.terminalRestored())
    }

    @Test func asciiModeAndSigtermRestores() throws {
        let t = try Tmux(width: 120, height: 40)
        try t.type("env -u LANG -u LC_ALL -u LC_CTYPE \(Self.binary) tui-preview --ascii & sleep 2; kill -TERM $!; wait $!; echo EXIT=$?")
        let s = try t.wait(4) { $0.contains("# 1 Layers") && $0.contains("4 Monitor") }
        #expect(s.contains("# 1 Layers =") && s.contains("+ 4 Monitor -"))
        #expect(!hasBraille(s))
        #expect(!s.contains("█") && !s.contains("┌"))
        // --ascii means every cell, text included (·, ρ, Δ are folded too)
        let odd = s.unicodeScalars.filter { !$0.isASCII }
        #expect(odd.isEmpty, "non-ASCII under --ascii: \(String(String.UnicodeScalarView(odd.prefix(20))))")
        let after = try t.wait { exitStatus($0) != nil }
        #expect(exitStatus(after) == 143)
        #expect(try t.terminalRestored())
    }
}
