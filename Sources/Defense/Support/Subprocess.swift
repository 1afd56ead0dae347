import Foundation

/// Runs a helper program (pip, tar, sha256sum) and collects its output.
public enum Subprocess {
    public struct Result {
        public let status: Int32
        public let output: String
        public var lastLines: String {
            output.split(separator: "\n").suffix(3).joined(separator: " | ")
        }
    }

    public static func run(_ program: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw FinemixError("cannot start \(program): \(error.localizedDescription)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
