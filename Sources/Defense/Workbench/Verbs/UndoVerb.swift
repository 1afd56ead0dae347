/// `undo`: back to the model before the last change.
struct UndoVerb: Verb {
    static let verb = "undo"
    static let usage = "undo"
    static let summary = "return to the model before the last change"
    static let options: [String] = []
    static let arguments = 0...0

    init(_ c: Command) {}

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        guard let previous = s.undoStack.popLast() else { throw FinemixError("undo: nothing to undo") }
        s.current = previous
        return Session.Outcome(message: "current: \(previous.name)")
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        if let previous = names.undo.popLast() { names.current = previous }
        return nil
    }
}
