import Defense

/// What running work reports by events and no snapshot carries: the job under way and the
/// Monitor's series. The one place the series are kept (the bridge keeps no copy, a snapshot
/// has none), fed with the engine's values as they are: no text is read back.
public struct LiveRun: Equatable, Sendable {
    public var job: JobProgress?
    public var loss: [SeriesPoint]
    public var acc: [SeriesPoint]
    public var asr: [SeriesPoint]
    /// The run's length, from the progress events' `total`, so the Monitor's x axis is fixed.
    public var totalSteps: Int
    /// The points of the sweep under way, as each ρ finishes (the Mixer's chart draws them).
    public var sweep: [SweepPoint] = []

    public init(job: JobProgress? = nil, loss: [SeriesPoint] = [], acc: [SeriesPoint] = [], asr: [SeriesPoint] = [],
                totalSteps: Int = 0) {
        self.job = job
        self.loss = loss
        self.acc = acc
        self.asr = asr
        self.totalSteps = totalSteps
    }

    /// The verbs whose runs the Monitor charts: each starts with empty charts.
    public static let chartedVerbs: Set<String> = ["attack", "finetune", "prune", "sweep"]

    /// A command starts running.
    public mutating func begin(_ verb: String) {
        job = JobProgress(job: verb, fraction: 0, phase: "running")
        if Self.chartedVerbs.contains(verb) {
            loss = []
            acc = []
            asr = []
            totalSteps = 0
        }
        if verb == "sweep" { sweep = [] }
    }

    public mutating func record(_ p: JobProgress) {
        var p = p
        p.fraction = min(max(p.fraction, 0), 1)
        job = p
        if let total = p.total { totalSteps = total }
    }

    /// A point of a series the Monitor draws; the sweep's series are the session's to show.
    public mutating func record(_ series: MetricSeries, step: Int, value: Double) {
        let p = SeriesPoint(Double(step), value)
        switch series {
        case .loss: loss.append(p)
        case .acc: acc.append(p)
        case .asr: asr.append(p)
        case .sweepAcc, .sweepAsr: break
        }
    }

    /// The last step charted.
    public var lastStep: Double { max(loss.last?.x ?? 0, acc.last?.x ?? 0) }

    /// How often the session measures ACC/ASR during a fine-tune (a tenth of the run).
    public var probeInterval: Int { max(1, (totalSteps > 0 ? totalSteps : 10) / 10) }
}
