import Foundation

// The values of each verb, read and checked in one place per verb. The verb's spec checks a
// command with these before anything runs (the palette's line, every line of every script) and
// the session's handler runs on what they read, so the check and the run cannot disagree.
// Only what depends on the session (a layer or token that must exist in the loaded model, a
// target label below the dataset's label count) is left to the handler.

struct LoadArguments {
    var role: String
    var path: String

    init(_ c: Command) throws {
        role = c.arguments[0]; path = c.arguments[1]
        guard role == "pre" || role == "victim" else {
            throw FinemixError("load: the role must be pre or victim, found '\(role)'")
        }
    }
}

struct DataArguments {
    var name: String
    var seed: UInt64
    var train: Int
    var clean: Int
    var test: Int
    var maxLength: Int

    init(_ c: Command) throws {
        name = c.arguments[0]
        seed = UInt64(try c.int("seed", default: 1, in: 0...Int.max))
        train = try c.int("train", default: 3000, in: 0...10_000_000)
        clean = try c.int("clean", default: 64, in: 1...10_000_000)
        test = try c.int("test", default: 1000, in: 1...10_000_000)
        maxLength = try c.int("max-length", default: 64, in: 8...512)
    }
}

/// `finetune`'s budget (and `sweep`'s, which fine-tunes the same way).
struct FineTuneArguments {
    var epochs: Int
    var lr: Double
    var batch: Int
    var seed: UInt64

    init(_ c: Command) throws {
        epochs = try c.int("epochs", default: 10, in: 1...10_000)
        lr = try c.double("lr", default: 5e-5, in: 1e-8...1)
        batch = try c.int("batch", default: 16, in: 1...4096)
        seed = UInt64(try c.int("seed", default: 1, in: 0...Int.max))
    }

    func recipe(maxLength: Int) -> FineTuneRecipe {
        FineTuneRecipe(epochs: epochs, lr: lr, batch: batch, maxLength: maxLength, seed: seed)
    }
}

struct AttackArguments {
    var trigger: Trigger
    var rate: Double
    /// Checked against the dataset's labels when the attack runs.
    var target: Int
    var epochs: Int
    var lr: Double
    var batch: Int
    var fresh: String

    init(_ c: Command) throws {
        trigger = try Trigger.parse(c.options["trigger"] ?? Trigger.default.description)
        rate = try c.double("rate", default: 0.1, in: 0...1)
        target = try c.int("target", default: 1, in: 0...Int.max)
        epochs = try c.int("epochs", default: 3, in: 1...1000)
        lr = try c.double("lr", default: 5e-5, in: 1e-8...1)
        batch = try c.int("batch", default: 32, in: 1...4096)
        fresh = c.options["fresh"] ?? ""
    }
}

struct TriggerArguments {
    var trigger: Trigger
    /// Checked against the dataset's labels when it runs.
    var target: Int?
    init(_ c: Command) throws {
        trigger = try Trigger.parse(c.arguments[0])
        target = try c.options["target"].map { _ in try c.int("target", default: 0, in: 0...Int.max) }
    }
}

struct InspectArguments {
    var top: Int
    init(_ c: Command) throws { top = try c.int("top", default: 20, in: 1...100_000) }
}

struct MixArguments {
    /// nil: `mix auto` (the automatic rule chooses ρ).
    var rho: Double?
    var select: MixSpec.Select
    var seed: UInt64
    var head: MixSpec.Head

    init(_ c: Command) throws {
        rho = c.arguments[0].lowercased() == "auto" ? nil : try fraction(c.arguments[0], "mix: ρ must be a number in [0, 1]")
        select = try mixSelection(c)
        seed = UInt64(try c.int("seed", default: 1, in: 0...Int.max))
        head = try MixSpec.Head(rawValue: c.choice("head", default: "keep", from: MixSpec.Head.allCases.map(\.rawValue)))!
    }
}

struct RhoArguments {
    /// Checked against the pre-trained model's layers when it runs.
    var layer: String
    var value: Double

    init(_ c: Command) throws {
        layer = c.arguments[0]
        value = try fraction(c.arguments[1], "rho: the value must be a number in [0, 1]")
    }
}

struct EpurArguments {
    var options: EPUR.Options
    var corpus: URL?
    /// The rows picked by hand; each must be a token of the vocabulary (checked when it runs).
    var reset: [String]?

    init(_ c: Command) throws {
        options = EPUR.Options(top: try c.int("top", default: 200, in: 0...10_000_000),
                               fmin: try c.int("fmin", default: 20, in: 2...Int(Int32.max)))
        corpus = c.options["corpus"].map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
        reset = c.options["reset"].map { $0.split(separator: ",").map(String.init) }
    }
}

struct PruneArguments {
    var ratio: Double
    init(_ c: Command) throws { ratio = try c.double("ratio", default: 0.3, in: 0...0.99) }
}

struct SweepArguments {
    var rhos: [Double]
    var finetune: Bool
    var budget: FineTuneArguments
    var select: MixSpec.Select

    init(_ c: Command) throws {
        rhos = try parseRange(c.options["rho"] ?? "0:1:0.1", name: "rho")
        guard rhos.allSatisfy({ (0...1).contains($0) }) else { throw FinemixError("sweep: every ρ must lie in [0, 1]") }
        // Fine-mixing unless told otherwise, like `finemix sweep`.
        finetune = try c.flag("finetune", default: true)
        // The same budget, selection and seed options as `finetune` and `mix`, with their defaults.
        budget = try FineTuneArguments(c)
        select = try mixSelection(c)
    }
}

/// `mix`'s selection option (and `sweep`'s, which mixes the same way).
private func mixSelection(_ c: Command) throws -> MixSpec.Select {
    try MixSpec.Select(rawValue: c.choice("select", default: "random", from: MixSpec.Select.allCases.map(\.rawValue)))!
}

/// A finite number in [0, 1]; `Double` alone also reads "nan" and "inf".
private func fraction(_ text: String, _ what: String) throws -> Double {
    guard let v = Double(text), v.isFinite, (0...1).contains(v) else { throw FinemixError("\(what), found '\(text)'") }
    return v
}
