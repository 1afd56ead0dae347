/// `sweep ...`: ACC and ASR against ρ, through `finemix sweep`'s pipeline (RhoSweep).
struct SweepVerb: Verb {
    static let verb = "sweep"
    static let usage = "sweep [rho=0:1:0.1] [finetune=on|off] [select=random] [epochs=10] [lr=5e-5] [batch=16] [seed=1] [plan=DIR [submit=on]]"
    static let summary = "ACC and ASR against rho, mixing only and Fine-mixing (finetune=off: mixing only), as `finemix sweep` runs them; the points go into the Mixer's landscape. plan=DIR writes `finemix sweep --plan`'s cells instead (submit=on: to Slurm) and their points arrive as the cells finish"
    static let options = ["rho", "finetune", "select", "epochs", "lr", "batch", "seed", "plan", "submit"]
    static let arguments = 0...0

    var rhos: [Double]
    var finetune: Bool
    var budget: FineTuneBudget
    var select: MixSpec.Select
    /// Write the sweep as a plan folder here instead of running it; submit= hands it to sbatch.
    var plan: String?
    var submit: Bool

    init(_ c: Command) throws {
        rhos = try parseRange(c.options["rho"] ?? "0:1:0.1", name: "rho")
        guard rhos.allSatisfy({ (0...1).contains($0) }) else { throw FinemixError("sweep: every ρ must lie in [0, 1]") }
        // Fine-mixing unless told otherwise, like `finemix sweep`.
        finetune = try c.flag("finetune", default: true)
        // The same budget, selection and seed options as `finetune` and `mix`, with their defaults.
        budget = try FineTuneBudget(c)
        select = try MixVerb.selection(c)
        plan = c.options["plan"]
        if let plan, plan.isEmpty { throw FinemixError("sweep: plan= needs a folder") }
        // submit= without plan= is refused when the sweep runs: options are also checked one by one.
        submit = try c.flag("submit", default: false)
    }

    /// Mixing only and (unless finetune=off) Fine-mixing on the session's data; then the
    /// automatic rule of docs/method.md.
    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let pre = try s.requirePre()
        guard let victim = s.victimFolder else { throw FinemixError("sweep: load or plant a victim first") }
        let d = try s.requireData()
        if submit && plan == nil { throw FinemixError("sweep: submit=on sends a plan to Slurm: add plan=DIR") }
        if let plan { return try s.planSweep(self, plan: plan, submit: submit) }
        let recipe = DefenseRecipe(method: .finemix, rho: 1, select: select, cleanSize: d.clean.count, epochs: budget.epochs,
                                   lr: budget.lr, batch: budget.batch, seed: budget.seed, maxLength: d.maxLength)
        let asr = try s.asrSet()
        let data = RhoSweep.Data(clean: d.clean, heldOut: d.heldOut, test: d.split.test, asrSet: asr ?? [],
                                 basis: asr == nil ? nil : s.asrBasis)
        s.sweep = []
        let result = try RhoSweep.run(pre: pre, victim: victim, data: data,
                                      options: RhoSweep.Options(rhos: rhos, fineMixing: finetune, recipe: recipe),
                                      events: events, cancel: cancel) { s.sweep.append($0.point) }
        s.landscape.use(inputs: s.landscapeInputsID)
        s.landscape.record(result.points, budget: LandscapeBudget(recipe), select: select, seed: budget.seed, cleanSize: d.clean.count,
                           nTest: d.split.test.count)
        let chosen = finetune ? RhoSweep.automaticRho(result.points) : nil
        var results = ["steps": Double(result.steps)]
        if let chosen { results["auto_rho"] = chosen }
        return Session.Outcome(message: "sweep over \(rhos.count) values of ρ (\(finetune ? "mixing only and Fine-mixing, \(result.steps) steps each" : "mixing only"))"
                               + (chosen.map { "; automatic rule picks ρ = \(fmt($0))" } ?? ""),
                               results: results)
    }
}
