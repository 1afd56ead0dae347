import Foundation
import Testing
@testable import Defense
import TestSupport

/// `finemix run SCRIPT`: the command language headless, on the real MiniLM and rt, in a scratch
/// workspace that shares the resource cache.
@Suite(.serialized) struct RunScriptTests {
    static let root = TempFolder.url("finemix-run-tests")
    static var env: [String: String] {
        ["FINEMIX_CACHE": Paths.defaultWorkspace().appendingPathComponent("cache").path]
    }

    static func run(_ script: String, name: String) throws -> (Binary.Output, [String: Any]?) {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("\(name).fm")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let out = try Binary.run(["run", "--workspace", root.appendingPathComponent("ws").path, file.path], environment: env)
        let json = try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        return (out, json)
    }

    static let script = """
        load pre minilm
        data rt seed=2 train=800 clean=32 test=200
        attack epochs=2 lr=1e-4   # a small victim that still learns the trigger
        inspect top=5
        epur top=10
        mix 0.5 seed=3
        eval
        undo
        save \(root.appendingPathComponent("saved").path)
        report \(root.appendingPathComponent("report").path)
        """

    static func variants(_ json: [String: Any]?) -> [[String: Any]] {
        ((json?["session"] as? [String: Any])?["variants"] as? [[String: Any]]) ?? []
    }

    @Test func scriptRunsEveryCommandAndReportsVariants() throws {
        let (out, json) = try Self.run(Self.script, name: "story")
        #expect(out.status == 0, "\(out.stderr.suffix(1500))")
        let commands = try #require(json?["commands"] as? [[String: Any]])
        #expect(commands.count == 10)
        let vs = Self.variants(json)
        #expect(vs.map { $0["name"] as? String } == ["victim", "victim + E-PUR", "victim + E-PUR + mix 0.50"])
        let victim = try #require(vs.first)
        let asr = try #require(victim["asr"] as? Double)
        #expect((0...1).contains(asr))
        #expect(asr > 0.6, "the small victim should have learnt the trigger")
        let mixed = try #require(vs.last)
        #expect(mixed["acc"] as? Double != nil)
        // E-PUR names the planted trigger words among its top 10
        let epur = ((json?["session"] as? [String: Any])?["epur"] as? [[String: Any]] ?? []).compactMap { $0["token"] as? String }
        #expect(Set(epur).intersection(Trigger.defaultWords).count >= 3, "\(epur)")
        // after undo the saved model is the E-PUR variant: it loads as a classifier
        let saved = try CheckpointFolder(Self.root.appendingPathComponent("saved"))
        #expect(saved.hasHead)
        for ext in ["md", "json", "csv"] {
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("report.\(ext)").path))
        }
        let journal = try Journal(url: URL(fileURLWithPath: try #require(json?["journal"] as? String)))
        #expect(journal.entries.count == 10)
        #expect(journal.entries.filter { !$0.ok }.isEmpty)
    }

    @Test func sameScriptGivesSameNumbers() throws {
        let (a, ja) = try Self.run(Self.script, name: "again1")
        let (b, jb) = try Self.run(Self.script, name: "again2")
        #expect(a.status == 0 && b.status == 0)
        let accA = Self.variants(ja).map { $0["acc"] as? Double }
        let accB = Self.variants(jb).map { $0["acc"] as? Double }
        #expect(accA == accB)
        #expect(b.stderr.contains("using the victim planted earlier"))
    }

    @Test func scriptsAreCheckedBeforeAnyRuns() throws {
        try FileManager.default.createDirectory(at: Self.root, withIntermediateDirectories: true)
        let first = Self.root.appendingPathComponent("first.fm"), second = Self.root.appendingPathComponent("second.fm")
        try "load pre minilm\n".write(to: first, atomically: true, encoding: .utf8)
        try "# the walkthrough\ninspect\nmixx 0.3\n".write(to: second, atomically: true, encoding: .utf8)
        let out = try Binary.run(["run", "--workspace", Self.root.appendingPathComponent("ws").path, first.path, second.path],
                                 environment: Self.env)
        #expect(out.status == 1)
        #expect(out.stderr.contains("second.fm:3:1: unknown command 'mixx'"), "\(out.stderr)")
        #expect(!out.stderr.contains("> load pre"), "the first script ran before the second was checked:\n\(out.stderr)")
    }

    @Test func badScriptNamesTheLine() throws {
        let (out, _) = try Self.run("load pre minilm\nmixx 0.3\n", name: "bad")
        #expect(out.status == 1)
        #expect(out.stderr.contains("bad.fm:2:1: unknown command 'mixx'"), "\(out.stderr)")
        let (range, _) = try Self.run("mix 1.5\n", name: "range")
        #expect(range.status == 1)
        #expect(range.stderr.contains("range.fm:1:5: "), "\(range.stderr)")
        #expect(range.stderr.contains("mix: ρ must be a number in [0, 1], found '1.5'"), "\(range.stderr)")
    }

    /// Issue 16: a bad value or an unknown variant on any line of any script is found before
    /// the first line runs (nothing is loaded, trained or saved), and every one is listed.
    @Test func everyProblemOfEveryScriptIsListedBeforeAnyRuns() throws {
        try FileManager.default.createDirectory(at: Self.root, withIntermediateDirectories: true)
        let first = Self.root.appendingPathComponent("one.fm"), second = Self.root.appendingPathComponent("two.fm")
        let saved = Self.root.appendingPathComponent("never-saved")
        try "load pre minilm\ndata rt train=0 clean=8 test=8\nsave \(saved.path)\nmix 1.5\n".write(to: first, atomically: true, encoding: .utf8)
        try "finetune epochs=0\nvariant nosuch\nsweep rho=0:1:1e-9\n".write(to: second, atomically: true, encoding: .utf8)
        let out = try Binary.run(["run", "--workspace", Self.root.appendingPathComponent("ws").path, first.path, second.path],
                                 environment: Self.env)
        #expect(out.status == 1)
        for expected in ["\(first.path):4:5: mix: ρ must be a number in [0, 1], found '1.5'",
                         "\(second.path):1:10: finetune: epochs=0 is outside 1...10000",
                         "\(second.path):2:9: variant: no earlier line makes a variant named 'nosuch' (none is made before this line)",
                         "\(second.path):3:7: rho=0:1:1e-9: more than 1001 values",
                         "4 problems found before running; nothing ran"] {
            #expect(out.stderr.contains(expected), "missing \(expected) in:\n\(out.stderr)")
        }
        #expect(!out.stderr.contains("> load pre") && !FileManager.default.fileExists(atPath: saved.path))
    }
}
