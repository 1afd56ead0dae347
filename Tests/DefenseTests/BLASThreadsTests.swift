import Dispatch
import Foundation
import Testing
@testable import Defense

/// OpenBLAS's thread count is one setting for the whole process, and `BLASThreads.single`
/// blocks overlap (evaluations beside background points; tests side by side).
@Suite struct BLASThreadsTests {
    /// Block A starts, block B starts, A ends while B runs: B must still multiply on one thread
    /// (before the fix A's end restored the machine's count under B, whose multiplies then
    /// rounded as threaded ones: Evaluator's workers disagreed in the last bits, seen in the
    /// full suite). Five rounds on two threads of our own.
    @Test func anOverlappingBlockKeepsOneThreadUntilTheLastEnds() {
        for _ in 0..<5 {
            let aIn = DispatchSemaphore(value: 0), bIn = DispatchSemaphore(value: 0), aOut = DispatchSemaphore(value: 0)
            let done = DispatchGroup()
            let seen = Unchecked(UnsafeMutablePointer<Int>.allocate(capacity: 1))
            defer { seen.value.deallocate() }
            DispatchQueue.global().async(group: done) {
                BLASThreads.single { aIn.signal(); bIn.wait() }
                aOut.signal()
            }
            DispatchQueue.global().async(group: done) {
                aIn.wait()
                BLASThreads.single {
                    bIn.signal()
                    aOut.wait()
                    seen.value.pointee = BLASThreads.current
                }
            }
            done.wait()
            #expect(seen.value.pointee == 1)
        }
    }
}
