/// Linear warm-up from 0 to the base rate over `warmupSteps`, then linear decay to 0 at
/// `totalSteps`: HuggingFace's `get_linear_schedule_with_warmup`.
public struct LinearSchedule: Sendable, Equatable {
    public var baseRate: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(baseRate: Float, warmupSteps: Int = 0, totalSteps: Int) {
        self.baseRate = baseRate; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    /// A constant rate (no warm-up, no decay).
    public static func constant(_ rate: Float) -> LinearSchedule {
        LinearSchedule(baseRate: rate, warmupSteps: 0, totalSteps: Int.max)
    }

    /// The rate for the optimizer step that follows `step` completed steps.
    public func rate(atStep step: Int) -> Float {
        if totalSteps == Int.max && warmupSteps == 0 { return baseRate }
        if step < warmupSteps { return baseRate * Float(step) / Float(max(1, warmupSteps)) }
        let left = Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps))
        return baseRate * Float(max(0, left))
    }
}
