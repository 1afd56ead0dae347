import Testing
@testable import TUI

@Suite struct LocaleTests {
    @Test func recognisesUTF8LocaleNames() {
        #expect(TerminalLocale.isUTF8("en_US.UTF-8"))
        #expect(TerminalLocale.isUTF8("C.utf8"))
        #expect(!TerminalLocale.isUTF8("C"))
        #expect(!TerminalLocale.isUTF8("en_US.ISO-8859-1"))
    }
}
