/// The defender's fine-tuning budget and the defaults every Fine-mixing run starts from: the
/// workbench's `finetune` and `sweep`, the Mixer's fine-tune key, the landscape, `finemix defend`,
/// `sweep` and `compare` (DefenseRecipe), so one budget means the same thing everywhere.
public struct FineTuneBudget: Sendable, Equatable {
    public var epochs = 10
    public var lr = 5e-5
    public var batch = 16
    public var seed: UInt64 = 1

    public static let defaults = FineTuneBudget()

    init() {}

    func recipe(maxLength: Int) -> FineTuneRecipe {
        FineTuneRecipe(epochs: epochs, lr: lr, batch: batch, maxLength: maxLength, seed: seed)
    }
}
