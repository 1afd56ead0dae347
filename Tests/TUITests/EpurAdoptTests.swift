import Testing
@testable import TUI

/// T in the E-PUR pane makes the row under the cursor the trigger ASR is measured with, with
/// the target label the trigger hunt found for it.
@Suite struct EpurAdoptTests {
    @Test func adoptingARowNamesItsHuntTarget() {
        var s = sampleState(120, 40, focus: .epur)
        let token = s.model.epur.tokens[Rows.tokens(s)[0]].token
        s.model.epur.huntTargets = [token: 0]
        #expect(run(s, [.key(.char("T"))]).1 == [.command("trigger word:\(token) target=0")])
        // A row the hunt did not test: the session's own target stays.
        s.epur.cursor = 1
        let other = s.model.epur.tokens[Rows.tokens(s)[1]].token
        #expect(run(s, [.key(.char("T"))]).1 == [.command("trigger word:\(other)")])
        // Elsewhere the key only says where it works.
        let (t, fx) = run(sampleState(120, 40, focus: .mixer), [.key(.char("T"))])
        #expect(fx.allSatisfy(\.isLandscape) && t.status.contains("E-PUR"))
    }
}
