import Foundation

/// A thread-safe queue of messages: the session posts engine events here from its worker
/// threads; the runtime drains it on every turn of the loop.
public final class Mailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var queue: [Msg] = []

    public init() {}

    public func post(_ msg: Msg) {
        lock.lock()
        queue.append(msg)
        lock.unlock()
    }

    public func drain() -> [Msg] {
        lock.lock()
        defer { lock.unlock() }
        let out = queue
        queue.removeAll(keepingCapacity: true)
        return out
    }
}

/// Owns the loop: reads input without blocking the UI for long (a short poll timeout), drains
/// engine messages, applies update(), hands effects to the session, and redraws only when the
/// state changed.
public final class Runtime {
    public enum Exit: Equatable, Sendable { case quit, signal(Int32), iterations }

    public let terminal: any TerminalIO
    public let mailbox = Mailbox()
    public private(set) var state: State
    public private(set) var redraws = 0
    /// Runs effects other than `.quit` (commands, cancel, browse). The session provides it.
    public var perform: (Effect) -> Void
    public var pollMs = 20
    public var tickInterval = 0.2

    public init(terminal: any TerminalIO, state: State, perform: @escaping (Effect) -> Void = { _ in }) {
        self.terminal = terminal
        var s = state
        s.width = terminal.width
        s.height = terminal.height
        self.state = s
        self.perform = perform
    }

    /// Runs until quit or a terminating signal (or `maxIterations` turns, for tests), then
    /// restores the terminal.
    @discardableResult
    public func run(maxIterations: Int = .max) -> Exit {
        defer { terminal.restore() }
        let start = Date()
        var lastTick = 0.0
        terminal.present(App.view(state))
        redraws += 1
        var drawn = state
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            let sig = terminal.pendingSignal()
            if sig != 0 { return .signal(sig) }
            var msgs = terminal.poll(timeoutMs: pollMs)
            msgs += mailbox.drain()
            let now = Date().timeIntervalSince(start)
            if now - lastTick >= tickInterval {
                msgs.append(.tick(now))
                lastTick = now
            }
            var quit = false
            for m in msgs {
                let (next, effects) = App.update(state, m)
                state = next
                for e in effects {
                    if e == .quit { quit = true } else { perform(e) }
                }
            }
            if quit { return .quit }
            if state != drawn {
                terminal.present(App.view(state))
                redraws += 1
                drawn = state
            }
        }
        return .iterations
    }
}
