import Foundation
import Testing

@Suite struct FetchTests {
    @Test func unknownResourceIsOneClearError() throws {
        let out = try Binary.run(["fetch", "nonsense"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("unknown resource 'nonsense'"))
        #expect(out.stderr.split(separator: "\n").count == 1)
    }
}
