import Defense
import Foundation

// SwiftPM links an executable with `main` aliased to this module's top-level code, so this file
// is the program's entry: it hands control to libFuzzer's driver with the callback below.
// (`LLVMFuzzerTestOneInput` is defined too, because libFuzzer's archive references it.)
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTargets.run(bytes)
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
FuzzTargets.setUp()
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
