import Defense
import Foundation

/// The Mixer's ρ landscape, computed on a thread of its own while the analyst works: the
/// session's worker hands it a `LandscapeWork` (copies of the models and data) after every
/// command; it computes the missing points one by one, pauses (at the next fine-tuning step)
/// while any command is queued or running, and resumes after. A new selection, seed or set of
/// inputs cancels the point under way; what is computed stays in the session's cache.
final class LandscapeBackground: @unchecked Sendable {
    private let lock = NSLock()
    private var work: LandscapeWork?
    private var flag = CancellationFlag()
    private var near = 0.3
    private var foreground = 0
    private var computing: (rho: Double, fineMixing: Bool)?
    private var problem: String?
    private let wake = DispatchSemaphore(value: 0)
    private var started = false
    private var plan: SweepPlanWatch?
    private var watching = false
    /// Called (on the landscape's thread) when a point starts or is stored.
    private let changed: @Sendable () -> Void

    init(changed: @escaping @Sendable () -> Void) { self.changed = changed }

    /// What to compute: `w` for its selection, seed and inputs (nil: nothing), the slider's ρ first.
    func use(_ w: LandscapeWork?, near rho: Double) {
        lock.lock()
        near = rho
        let same = w != nil && work != nil && w!.inputs == work!.inputs && w!.recipe == work!.recipe
        if !same {
            flag.cancel()
            flag = CancellationFlag()
            if foreground > 0 { flag.pause() }
            work = w
            problem = nil
        }
        let start = !started
        started = true
        lock.unlock()
        if start {
            let t = Thread { [self] in loop() }
            t.stackSize = 8 << 20
            t.name = "finemix.landscape"
            t.start()
        }
        wake.signal()
    }

    /// A sweep sent out as a plan (`sweep … plan=DIR`): a thread of its own looks at the plan
    /// folder every few seconds (cells finish on other machines, whatever this one computes) and
    /// redraws when a cell's point arrived in the landscape.
    func watch(_ w: SweepPlanWatch?) {
        lock.lock()
        plan = w
        let start = w != nil && !watching
        if start { watching = true }
        lock.unlock()
        guard start else { return }
        let t = Thread { [self] in
            while true {
                lock.lock()
                let p = plan
                lock.unlock()
                if let p, p.poll() > 0 { changed() }
                Thread.sleep(forTimeInterval: Self.planPollSeconds)
            }
        }
        t.name = "finemix.plan-watch"
        t.start()
    }

    static let planPollSeconds = 3.0

    /// A command was queued (+1) or finished (-1): the landscape waits while any is pending.
    func foreground(_ delta: Int) {
        lock.lock()
        foreground += delta
        if foreground > 0 { flag.pause() } else { flag.resume() }
        lock.unlock()
    }

    /// The point under way, whether it waits for a command, and why the landscape stopped.
    func status() -> (computing: (rho: Double, fineMixing: Bool)?, paused: Bool, problem: String?) {
        lock.lock(); defer { lock.unlock() }
        return (computing, foreground > 0 && computing != nil, problem)
    }

    private func loop() {
        while true {
            lock.lock()
            let w = work, f = flag, rho = near
            lock.unlock()
            guard let w, !f.isCancelled, let next = w.missing(near: rho).first else {
                wake.wait()
                continue
            }
            f.waitWhilePaused()
            if f.isCancelled { continue }
            lock.lock()
            computing = (next.rho, next.fineMixing)
            lock.unlock()
            changed()
            do {
                try w.compute(next, cancel: f)
            } catch {
                lock.lock()
                if !f.isCancelled {
                    // Said once; the landscape stops until its inputs or knobs change.
                    problem = "landscape stopped: " + FinemixError.describing(error).message
                    work = nil
                }
                lock.unlock()
            }
            lock.lock()
            computing = nil
            lock.unlock()
            changed()
        }
    }
}
