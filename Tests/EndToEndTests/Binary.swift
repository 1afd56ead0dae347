import Foundation
import Testing

/// Runs the built `finemix` binary, as a user would, and collects what it prints.
enum Binary {
    struct Output { let status: Int32; let stdout: String; let stderr: String }

    static var url: URL {
        // The test bundle sits in the same build products folder as the executable.
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("finemix")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("finemix")
    }

    /// `environment` adds to or replaces the test process's variables; `unset` removes some.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    unset: [String] = [], directory: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = url
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        for k in unset { env[k] = nil }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // read both pipes concurrently so a chatty child never blocks on a full pipe
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let output = Output(status: process.terminationStatus,
                            stdout: String(decoding: outData, as: UTF8.self),
                            stderr: String(decoding: errData, as: UTF8.self))
        // Every run of the binary in every test: an error reaches the user as one sentence,
        // never as Foundation's raw text.
        #expect(!output.stderr.contains("Error Domain=") && !output.stdout.contains("Error Domain="),
                "raw Foundation error text from finemix \(arguments.joined(separator: " ")):\n\(output.stderr)")
        return output
    }
}
