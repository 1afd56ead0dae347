import Defense
import Testing

/// `precision=auto` chooses by a measurement, not by the instruction set alone.
@Suite struct PrecisionSpeedTests {
    @Test func bf16OnlyWhereClearlyFaster() {
        #expect(PrecisionSpeed.choose(bf16TimeRatio: nil) == .fp32)
        #expect(PrecisionSpeed.choose(bf16TimeRatio: 0.5) == .bf16)
        #expect(PrecisionSpeed.choose(bf16TimeRatio: PrecisionSpeed.threshold) == .bf16)
        #expect(PrecisionSpeed.choose(bf16TimeRatio: 0.95) == .fp32)
        #expect(PrecisionSpeed.choose(bf16TimeRatio: 1.6) == .fp32)
        #expect(PrecisionSpeed.choose(bf16TimeRatio: .nan) == .fp32)
    }

    /// Where the CPU has BF16 the products are timed (a plausible ratio) and the choice follows
    /// the rule; where it has none, FP32 without timing.
    @Test func theMachineIsTimedWhereItHasBF16() {
        let here = PrecisionSpeed.here
        if (try? Precision.bf16.requireSupported()) != nil {
            let r = try! #require(here.bf16TimeRatio)
            #expect(r > 0.1 && r < 10, "\(here)")
            #expect(here.precision == PrecisionSpeed.choose(bf16TimeRatio: r))
        } else {
            #expect(here.bf16TimeRatio == nil && here.precision == .fp32)
        }
        #expect(here.description.hasPrefix(here.precision.rawValue + ":"))
    }
}
