import Defense
import Foundation

/// Plays lines of the command language through the controller one at a time, at a pace a
/// presenter can pause (space) and step (→): after each caption it waits `captionPause` seconds,
/// after other commands `pause` seconds, unless stepped.
public final class ScriptPlayer: @unchecked Sendable {
    private let controller: WorkbenchController
    private let lines: [String]
    private let lock = NSLock()
    private let wake = DispatchSemaphore(value: 0)
    private var paused = false
    private var stepRequested = false
    private var finishedFlag = false
    public var pause = 1.0
    public var captionPause = 3.0

    public init(controller: WorkbenchController, lines: [String]) {
        self.controller = controller
        self.lines = lines
    }

    public var finished: Bool { lock.lock(); defer { lock.unlock() }; return finishedFlag }
    public var isPaused: Bool { lock.lock(); defer { lock.unlock() }; return paused }

    public func togglePause() {
        lock.lock()
        paused.toggle()
        let p = paused
        lock.unlock()
        controller.mailbox.post(.engine(.log(.warning, p ? "walkthrough paused: space resumes, → steps" : "walkthrough resumed")))
        wake.signal()
    }

    public func step() {
        lock.lock()
        stepRequested = true
        lock.unlock()
        wake.signal()
    }

    /// Keys the player takes while it plays; everything else goes to the workbench.
    public func intercept(_ key: Key) -> Bool {
        guard !finished else { return false }
        switch key {
        case .char(" "): togglePause(); return true
        case .right: step(); return true
        default: return false
        }
    }

    /// Waits `seconds` or until stepped; while paused, waits for a step or resume.
    private func hold(_ seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        while true {
            lock.lock()
            if stepRequested { stepRequested = false; lock.unlock(); return }
            let p = paused
            lock.unlock()
            if !p && Date() >= until { return }
            _ = wake.wait(timeout: .now() + (p ? 0.25 : min(0.25, max(0.01, until.timeIntervalSinceNow))))
        }
    }

    public func start() {
        Thread.detachNewThread { [self] in
            for line in lines {
                let done = DispatchSemaphore(value: 0)
                controller.submit(line) { _ in done.signal() }
                done.wait()
                let isCaption = line.trimmingCharacters(in: .whitespaces).hasPrefix("caption")
                hold(isCaption ? captionPause : pause)
            }
            lock.lock()
            finishedFlag = true
            lock.unlock()
            controller.mailbox.post(.engine(.log(.info, "walkthrough finished: the Variants table compares the victim and the defences")))
            controller.mailbox.post(.focus(.variants))
        }
    }

    /// The command lines of a script text: blank lines and `#` comments dropped.
    public static func lines(of text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}

/// A terminal that lets a script player take some keys before the workbench sees them.
public final class KeyTapTerminal: TerminalIO {
    public let inner: any TerminalIO
    public var intercept: (Key) -> Bool

    public init(_ inner: any TerminalIO, intercept: @escaping (Key) -> Bool) {
        self.inner = inner
        self.intercept = intercept
    }

    public var width: Int { inner.width }
    public var height: Int { inner.height }
    public func poll(timeoutMs: Int) -> [Msg] {
        inner.poll(timeoutMs: timeoutMs).filter { m in
            if case .key(let k) = m { return !intercept(k) }
            return true
        }
    }
    public func present(_ canvas: Canvas) { inner.present(canvas) }
    public func pendingSignal() -> Int32 { inner.pendingSignal() }
    public func restore() { inner.restore() }
}
