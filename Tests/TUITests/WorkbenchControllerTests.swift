import Defense
import Foundation
import Testing
@testable import TUI
import TestSupport

/// The bridge on a real session: the real MiniLM as the pre-trained model and a victim made from
/// it with a known change (embedding rows of "cf" and "mn" moved far, layer 3's feed-forward
/// nudged, a head added), then the panes must show what the session computed.
@Suite(.serialized) struct WorkbenchControllerTests {
    static func minilm() throws -> URL {
        let home = FileManager.default.homeDirectoryForCurrentUser
        let shared = home.appendingPathComponent(".local/share/finemix/cache")
        let cache = ResourceCache(workspace: TempFolder.named("fm-wb-ws"))
        if FileManager.default.fileExists(atPath: shared.path) {
            setenv("FINEMIX_CACHE", shared.path, 1)
        }
        _ = cache
        return try ResourceCache(workspace: TempFolder.named("fm-wb-ws")).minilm()
    }

    /// Writes the victim folder once per test run.
    static func victim(pre: URL, in dir: URL) throws -> URL {
        let folder = try CheckpointFolder(pre)
        // MiniLM's tokenizer is read from its tokenizer.json; the token list is the same as vocab.txt's.
        let vocab = try Drift.vocabularyLines(folder.vocabURL)
        let rows = try ["cf", "mn"].map { w in try #require(vocab.firstIndex(of: w), "\(w) is not in the vocabulary") }
        var tensors: [NamedTensor] = []
        for name in folder.weights.tensorNames {
            let shape = folder.weights.shape(of: name)!
            var v = [Float](repeating: 0, count: shape.reduce(1, *))
            try v.withUnsafeMutableBufferPointer { try folder.weights.readFloats(name, into: $0) }
            if name == "embeddings.word_embeddings.weight" {
                let h = shape[1]
                for r in rows { for j in 0..<h { v[r * h + j] += (j % 2 == 0 ? 0.5 : -0.5) } }
            } else if name.hasPrefix("encoder.layer.3.intermediate") {
                for i in v.indices { v[i] *= 1.05 }
            }
            tensors.append(NamedTensor(name: name, shape: shape, values: v))
        }
        var c = folder.config
        c.setLabels(2)
        let h = c.hiddenSize
        tensors.append(NamedTensor(name: "classifier.weight", shape: [2, h], values: (0..<(2 * h)).map { Float(($0 % 7) - 3) * 0.01 }))
        tensors.append(NamedTensor(name: "classifier.bias", shape: [2], values: [0, 0]))
        let out = dir.appendingPathComponent("victim")
        try CheckpointFolder.save(config: c, vocab: folder.vocabURL, tensors: tensors, to: out)
        return out
    }

    @Test func snapshotOfARealSessionFillsThePanes() throws {
        let pre = try Self.minilm()
        let dir = TempFolder.url("wb")
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = try Self.victim(pre: pre, in: dir)
        let session = try Session(workspace: dir.appendingPathComponent("ws"), journal: nil)
        let mailbox = Mailbox()
        let controller = WorkbenchController(session: session, mailbox: mailbox)
        for line in ["load pre \(Command.quote(pre.path))", "load victim \(Command.quote(victim.path))", "data rt train=200 clean=64 test=100",
                     "inspect", "epur top=20", "mix 0.3 seed=1", "nonsense-verb 1"] {
            controller.submit(line)
        }
        controller.waitIdle()
        let msgs = mailbox.drain()
        // An unknown verb becomes an error event, never a crash.
        #expect(msgs.contains { if case .engine(.failed(_, let m)) = $0 { return m.contains("nonsense-verb") }; return false })
        guard case .model(let model)? = msgs.last(where: { if case .model = $0 { return true }; return false }) else {
            Issue.record("no model snapshot posted"); return
        }
        // Drift: layer 3's feed-forward moved ~5%, the other encoder layers not at all.
        let ffn3 = try #require(model.layers.first { $0.name.contains("layer.3") && $0.kind == .feedForward })
        #expect(abs((ffn3.relL2 ?? 0) - 0.05) < 0.01)
        let attn0 = try #require(model.layers.first { $0.name.contains("layer.0") && $0.kind == .attention })
        #expect((attn0.relL2 ?? 1) < 1e-6)
        #expect(model.layers.contains { $0.kind == .head && $0.relL2 == nil })
        #expect(!ffn3.tensors.isEmpty)
        // Drill-down: scaling by 1.05 moves every weight outwards, so the Δ histogram has both
        // tails, spans ±max|Δ| and counts every weight of the tensor.
        let dense = try #require(ffn3.tensors.first { $0.name.hasSuffix("intermediate.dense.weight") })
        #expect(dense.histogram.reduce(0, +) == dense.shape.reduce(1, *))
        #expect(dense.histogram.first! > 0 && dense.histogram.last! > 0)
        #expect(dense.histogramRange.upperBound == dense.maxAbsDelta)
        // E-PUR: the two moved rows rank first.
        #expect(Set(model.epur.tokens.prefix(2).map(\.token)) == ["cf", "mn"])
        // Variants: the victim and the mix; the mix is current.
        #expect(model.variants.count >= 2)
        #expect(model.variants.last?.current == true)
        #expect(model.variants.last?.rho == 0.3)
        #expect(model.header.pretrained.isEmpty == false)
        #expect(model.header.cleanSize == 64)
        #expect(model.commands.contains { $0.verb == "finetune" })

        // The screen draws them.
        var state = State(width: 200, height: 60, model: WorkbenchModel())
        for m in msgs { state = App.update(state, m).0 }
        state.focus = .epur
        let epurText = App.view(state).lines().joined(separator: "\n")
        #expect(epurText.contains("cf"))
        state.focus = .variants
        let screen = App.view(state).lines().joined(separator: "\n")
        #expect(screen.contains("mix"))
        #expect(screen.contains("0.30"))
        state.focus = .layers
        #expect(App.view(state).lines().joined(separator: "\n").contains(String(format: "%.4f", ffn3.relL2 ?? 0)))
    }

    /// Issue 13's session-side defects, on the real session: a load from the browser maps the
    /// drift, E-PUR reports the rows it really reset and goes stale on another variant, a
    /// per-layer mix says so in its name and recipe, a mix from the palette reaches the Mixer,
    /// and a failed fine-tune is logged once.
    @Test func loadEpurMixAndFailuresAsTheSessionDidThem() throws {
        let pre = try Self.minilm()
        let dir = TempFolder.url("wb3")
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = try Self.victim(pre: pre, in: dir)
        let session = try Session(workspace: dir.appendingPathComponent("ws"), journal: nil)
        let mailbox = Mailbox()
        let controller = WorkbenchController(session: session, mailbox: mailbox)
        controller.perform(.load("load pre \(Command.quote(pre.path))"))
        controller.perform(.load("load victim \(Command.quote(victim.path))"))
        controller.waitIdle()
        var model = controller.snapshot()
        #expect(!model.layers.isEmpty && !model.mixer.layers.isEmpty)

        controller.submit("data rt train=200 clean=64 test=100")
        controller.submit("epur top=20 reset=cf,mn")
        controller.waitIdle()
        model = controller.snapshot()
        #expect(model.epur.tokens.count == 20 && model.epur.rowsReset == 2 && !model.epur.stale)
        controller.submit("variant victim")
        controller.waitIdle()
        #expect(controller.snapshot().epur.stale)

        controller.submit("rho encoder.layer.0.ffn 0.5")
        controller.submit("mix 0.3")
        let report = dir.appendingPathComponent("report")
        controller.submit("report \(Command.quote(report.path))")
        controller.waitIdle()
        let current = try #require(session.current)
        #expect(current.name == "mix 0.30 (encoder.layer.0.ffn 0.50)")
        #expect(current.recipe.contains("rho encoder.layer.0.ffn 0.50"))
        let md = try String(contentsOf: report.appendingPathExtension("md"), encoding: .utf8)
        #expect(md.contains("rho encoder.layer.0.ffn 0.50"))
        model = controller.snapshot()
        #expect(model.mixer.applied == MixKnobs(rho: 0.3, select: .random, seed: 1, scope: .layer,
                                                layerRho: ["encoder.layer.0.ffn": 0.5]))

        _ = mailbox.drain()
        controller.submit("finetune epochs=3")
        var msgs: [Msg] = []
        let until = Date().addingTimeInterval(120)
        while Date() < until, !msgs.contains(where: { if case .engine(.metric) = $0 { return true }; return false }) {
            msgs += mailbox.drain()
            Thread.sleep(forTimeInterval: 0.01)
        }
        controller.perform(.cancelJob)
        controller.waitIdle()
        msgs += mailbox.drain()
        var state = State(width: 120, height: 40, model: WorkbenchModel())
        for m in msgs { state = App.update(state, m).0 }
        let errors = state.log.filter { $0.level == .error }.map(\.text)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("cancelled after step") == true)
    }

    @Test func theWalkthroughEndsOnVariantsWhateverTheKeys() throws {
        let dir = TempFolder.url("wb4")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mailbox = Mailbox()
        let controller = WorkbenchController(session: try Session(workspace: dir, journal: nil), mailbox: mailbox)
        let player = ScriptPlayer(controller: controller, lines: ["caption done"])
        player.captionPause = 0
        player.start()
        let until = Date().addingTimeInterval(30)
        var msgs: [Msg] = []
        while !msgs.contains(.focus(.variants)) && Date() < until {
            msgs += mailbox.drain()
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(player.finished && msgs.contains(.focus(.variants)))
        #expect(!msgs.contains(.key(.char("5"))))
    }

    @Test func commandsRunOffTheUIThreadAndCancelStopsThem() throws {
        let dir = TempFolder.url("wb2")
        defer { try? FileManager.default.removeItem(at: dir) }
        let session = try Session(workspace: dir, journal: nil)
        let mailbox = Mailbox()
        let controller = WorkbenchController(session: session, mailbox: mailbox)
        let start = Date()
        controller.perform(.command("finetune epochs=1"))
        #expect(Date().timeIntervalSince(start) < 0.05)
        controller.waitIdle()
        #expect(!controller.lastSucceeded)   // nothing loaded: a clear error
        let errors = mailbox.drain().compactMap { m -> String? in
            if case .engine(.failed(_, let text)) = m { return text }
            return nil
        }
        #expect(errors.first?.contains("load") == true)
    }
}
