import Testing
@testable import TUI

/// A terminal whose locale is not UTF-8 gets ASCII mode plus a fold of every remaining non-ASCII
/// cell at the blit (NcursesTerminal.present): what the fold makes of each screen.
@Suite struct AsciiFoldTests {
    @Test func everyPaneInAsciiModeFoldsToPlainASCII() {
        for focus in PaneID.allCases {
            let canvas = App.view(sampleState(120, 40, focus: focus, ascii: true))
            let folded = canvas.cells.map { TerminalLocale.asciiFold($0.scalar) }
            #expect(folded.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, "pane \(focus)")
            // The fold keeps the words: only the few symbols change, never to '?' on this screen.
            let unmapped = canvas.cells.filter { $0.scalar != "?" && TerminalLocale.asciiFold($0.scalar) == "?" }.map(\.scalar)
            #expect(unmapped.isEmpty, "pane \(focus): no look-alike for \(Set(unmapped.map { String($0) }).sorted())")
        }
    }

    @Test func theSymbolsThePanesUseHaveLookAlikes() {
        let pairs: [(Unicode.Scalar, Unicode.Scalar)] = [("ρ", "r"), ("Δ", "D"), ("×", "x"), ("…", "."), ("─", "-"), ("│", "|"),
                                                          ("┏", "+"), ("█", "#"), ("⣿", "."), ("\u{2800}", " "), ("‖", "|"), ("a", "a")]
        for (from, to) in pairs { #expect(TerminalLocale.asciiFold(from) == to, "\(from)") }
        #expect(TerminalLocale.asciiFold("€") == "?")
    }
}
