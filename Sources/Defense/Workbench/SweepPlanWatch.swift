import Foundation

/// A sweep the workbench sent out as a plan (`sweep … plan=DIR`): each cell finished since the
/// last look (its report written, run-cell's result done) brings its ρ point into the landscape,
/// under the sweep's selection, seed, budget and clean set and the inputs the plan was made on.
/// Polled from any thread (the TUI's landscape thread, the session's `report`).
public final class SweepPlanWatch: @unchecked Sendable {
    public let folder: PlanFolder
    let landscape: Landscape
    /// The landscape inputs the plan's cells run on: points arriving after the session moved to
    /// other models or data are not mixed into that landscape.
    public let inputs: String
    let select: MixSpec.Select
    let seed: UInt64
    let budget: LandscapeBudget
    let cleanSize: Int
    private let lock = NSLock()
    private var arrived: [Int: [SweepPoint]] = [:]
    private var cells = 0

    init(folder: PlanFolder, landscape: Landscape, inputs: String, select: MixSpec.Select, seed: UInt64,
         budget: LandscapeBudget, cleanSize: Int) {
        self.folder = folder; self.landscape = landscape; self.inputs = inputs
        self.select = select; self.seed = seed; self.budget = budget; self.cleanSize = cleanSize
    }

    /// The part of a sweep cell's report (`finemix sweep --json`) the landscape needs.
    private struct CellReport: Decodable {
        var points: [SweepPoint]
        var before: DefenseScore
    }

    /// Records the points of the cells done since the last call; returns how many cells arrived.
    /// A cell whose report cannot be read stays out (status and collect say why).
    @discardableResult public func poll() -> Int {
        guard let plan = try? folder.read() else { return 0 }
        lock.lock(); defer { lock.unlock() }
        cells = plan.cells.count
        var new = 0
        for cell in plan.cells where arrived[cell.index] == nil && folder.isDone(cell) {
            guard let data = try? Data(contentsOf: folder.file(cell.report)),
                  let r = try? JSONDecoder().decode(CellReport.self, from: data) else { continue }
            arrived[cell.index] = r.points
            landscape.record(r.points, budget: budget, select: select, seed: seed, cleanSize: cleanSize, nTest: r.before.nTest,
                             inputs: inputs)
            new += 1
        }
        return new
    }

    /// The points arrived so far, in ρ order.
    public var points: [SweepPoint] {
        lock.lock(); defer { lock.unlock() }
        return arrived.values.flatMap { $0 }.sorted { $0.rho < $1.rho }
    }

    /// Cells arrived and cells in the plan.
    public var progress: (done: Int, total: Int) {
        lock.lock(); defer { lock.unlock() }
        return (arrived.count, cells)
    }
}
