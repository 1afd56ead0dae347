/// `caption "TEXT"`: a caption on screen (walkthrough scripts).
struct CaptionVerb: Verb {
    static let verb = "caption"
    static let usage = "caption \"TEXT\""
    static let summary = "show a caption (walkthrough scripts)"
    static let options: [String] = []
    static let arguments = 1...1

    var text: String

    init(_ c: Command) { text = c.arguments[0] }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        s.captions.append(text)
        return Session.Outcome(message: text)
    }
}
