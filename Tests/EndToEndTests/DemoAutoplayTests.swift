import Foundation
import Testing
@testable import Defense
import TestSupport

/// `finemix demo --autoplay` unattended under tmux, and `finemix run` on the same scenario and
/// walkthrough: the final screen shows ACC and ASR for the victim and for Fine-mixing + E-PUR,
/// and they are the numbers the headless run prints (same seeds).
///
/// The scenario is the built-in one with a smaller split and a shorter victim recipe, so the
/// walkthrough plays in a test's time; every other line (MiniLM, rt, the trigger, poison rate,
/// clean set of 64, seeds) and the walkthrough itself are the shipped files. The test compares
/// the two runs' numbers, not the victim's quality, so the victim needs no more than one epoch
/// over 400 sentences; the presenter's pauses are cut to 0.2 s (captions 0.6 s), since only
/// the order of the steps matters here.
@Suite(.serialized) struct DemoAutoplayTests {
    typealias Tmux = TuiPreviewTests.Tmux

    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("assets")
    static let cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/finemix/cache").path

    static func smallScenario() throws -> String {
        var text = try String(contentsOf: assets.appendingPathComponent("demo-scenario.fm"), encoding: .utf8)
        for (from, to) in [("train=3000 clean=64 test=1000", "train=400 clean=64 test=100"),
                           ("epochs=3 lr=5e-5", "epochs=1 lr=1e-4")] {
            // If the shipped scenario changes, this test must be updated rather than test something else.
            try #require(text.contains(from), "assets/demo-scenario.fm no longer contains '\(from)'")
            text = text.replacingOccurrences(of: from, with: to)
        }
        return text
    }

    /// Cells of the Variants table row that starts with `name` (the zoomed pane is wide enough
    /// for full names): ACC and ASR are the first two cells after the name.
    static func accAsr(_ screen: String, _ name: String) -> (String, String)? {
        for line in screen.split(separator: "\n") {
            guard let r = line.range(of: "  " + name + "  ") ?? line.range(of: "* " + name + "  ") else { continue }
            let cells = line[r.upperBound...].split(whereSeparator: { $0 == " " || $0 == "│" || $0 == "┃" })
            if cells.count >= 2 { return (String(cells[0]), String(cells[1])) }
        }
        return nil
    }

    @Test func autoplayEndsOnTheVariantsAndMatchesTheHeadlessRun() throws {
        let dir = TempFolder.url("autoplay")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = dir.appendingPathComponent("scenario.fm")
        try Self.smallScenario().write(to: scenario, atomically: true, encoding: .utf8)
        let walkthrough = Self.assets.appendingPathComponent("walkthrough.fm").path
        let env = ["FINEMIX_CACHE": Self.cache]

        // Headless first: it plants the victim, which the demo then finds in the same workspace.
        let ws = dir.appendingPathComponent("ws").path
        let run = try Binary.run(["run", "--workspace", ws, scenario.path, walkthrough], environment: env)
        try #require(run.status == 0, "finemix run failed: \(run.stderr.suffix(1500))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let variants = try #require((json["session"] as? [String: Any])?["variants"] as? [[String: Any]])
        let names = variants.compactMap { $0["name"] as? String }
        let defended = try #require(names.first { $0.contains("E-PUR") && $0.contains("mix") && $0.hasSuffix("FT") },
                                    "no Fine-mixing + E-PUR variant in \(names)")
        #expect(names.contains("victim"))
        // `precision=auto`: the victim trained in BF16 exactly where BF16's products are faster
        // here (timed in this process as in the binary's; the two are far from the threshold on
        // the machines measured), never where the CPU lacks it
        let planted = try FileManager.default.contentsOfDirectory(atPath: ws + "/victims")
        let record = try #require(planted.compactMap { try? Data(contentsOf: URL(fileURLWithPath: "\(ws)/victims/\($0)/attack.json")) }.first)
        let recipe = try #require((try JSONSerialization.jsonObject(with: record) as? [String: Any])?["recipe"] as? [String: Any])
        #expect(recipe["precision"] as? String == (PrecisionSpeed.here.precision == .bf16 ? "bf16" : nil), "\(PrecisionSpeed.here)")

        let t = try Tmux(width: 160, height: 45)
        try t.type("FINEMIX_CACHE=\(Self.cache) FINEMIX_AUTOPLAY_PAUSE=0.2 \(Binary.url.path) demo --autoplay --scenario \(scenario.path) --workspace \(ws); echo EXIT=$?")
        var s = try t.wait(600) { $0.contains("walkthrough finished") }
        try #require(s.contains("walkthrough finished"), "the walkthrough did not finish:\n\(s)")
        try t.keys("e")   // zoom the focused Variants pane: full names, every column
        s = try t.wait(5) { $0.contains("Steps") && $0.contains(defended) }
        for v in variants {
            let name = try #require(v["name"] as? String)
            guard name == "victim" || name == defended || name == "victim + FT" else { continue }
            let want = (String(format: "%.3f", try #require(v["acc"] as? Double)),
                        String(format: "%.3f", try #require(v["asr"] as? Double)))
            let got = Self.accAsr(s, name)
            #expect(got?.0 == want.0 && got?.1 == want.1, "\(name): screen \(String(describing: got)), run \(want)\n\(s)")
        }
        try t.keys("q")
        // The typed command line holds "EXIT=$?" too: wait for the line the shell prints.
        let printed = { (screen: String) in screen.split(separator: "\n").contains { $0.hasPrefix("EXIT=") && $0.dropFirst(5).allSatisfy(\.isNumber) } }
        s = try t.wait(10) { printed($0) }
        #expect(s.split(separator: "\n").contains("EXIT=0"), "exit:\n\(s)")
        #expect(try t.terminalRestored())

        // A later start by hand (no autoplay) finds the planted victim and opens on its drift map.
        try t.run(["send-keys", "-t", "main", "clear", "Enter"])
        let started = Date()
        try t.type("FINEMIX_CACHE=\(Self.cache) \(Binary.url.path) demo --scenario \(scenario.path) --workspace \(ws); echo EXIT=$?")
        s = try t.wait(120) { $0.contains("encoder.layer.5") && $0.contains("inspect: drift of victim") }
        #expect(s.contains("encoder.layer.5"), "no drift map on the first screen:\n\(s)")
        #expect(s.contains("using the victim planted earlier"), "the victim was planted again:\n\(s)")
        FileHandle.standardError.write(Data("demo (victim cached): drift map on screen after \(String(format: "%.1f", Date().timeIntervalSince(started))) s\n".utf8))
        try t.keys("q")
        s = try t.wait(10) { printed($0) }
        #expect(s.split(separator: "\n").contains("EXIT=0"), "exit:\n\(s)")
    }
}
