@testable import TUI
import TUIPreview

let screenSizes: [(Int, Int)] = [(80, 24), (120, 40), (200, 60)]

func sampleState(_ w: Int, _ h: Int, focus: PaneID = .layers, ascii: Bool = false) -> State {
    var s = State(width: w, height: h, model: SampleData.workbench(), live: SampleData.live(), ascii: ascii)
    s.focus = focus
    return s
}

/// Feeds messages through update, collecting effects.
func run(_ s: State, _ msgs: [Msg]) -> (State, [Effect]) {
    var state = s
    var all: [Effect] = []
    for m in msgs {
        let (n, fx) = App.update(state, m)
        state = n
        all += fx
    }
    return (state, all)
}

func keys(_ text: String) -> [Msg] { text.map { .key(.char($0)) } }

extension Canvas {
    /// The text of a pane's rectangle joined by newlines.
    func text(of rect: Rect) -> String { text(in: rect).joined(separator: "\n") }
}

extension Effect {
    /// The Mixer asking for its ρ landscape (no command of the session).
    var isLandscape: Bool { if case .landscape = self { true } else { false } }
}
