/// Which trigger an ASR figure was measured with, and whether it is the real one: a figure from
/// the trigger the attacker planted (recorded in attack.json or named by the analyst) is a
/// measurement; one from the trigger hunt's suspect is an estimate, and every front end must say
/// so (docs/method.md, "Estimated ASR").
public struct ASRBasis: Sendable, Hashable, Codable {
    public var trigger: Trigger
    public var target: Int
    /// True when the trigger is the hunt's suspect, not a known one.
    public var estimated: Bool

    public init(trigger: Trigger, target: Int, estimated: Bool) {
        self.trigger = trigger; self.target = target; self.estimated = estimated
    }

    enum CodingKeys: String, CodingKey { case trigger, target, estimated }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trigger = try Trigger.parse(try c.decode(String.self, forKey: .trigger))
        target = try c.decode(Int.self, forKey: .target)
        estimated = try c.decode(Bool.self, forKey: .estimated)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trigger.description, forKey: .trigger)
        try c.encode(target, forKey: .target)
        try c.encode(estimated, forKey: .estimated)
    }

    /// "ASR" or "est. ASR": the label every table and chart puts on the figure.
    public var label: String { estimated ? "est. ASR" : "ASR" }

    /// "estimated with the suspect word:xx → 0", or "" for a known trigger.
    public var note: String { estimated ? "estimated with the hunt's suspect \(trigger) → \(target)" : "" }
}
