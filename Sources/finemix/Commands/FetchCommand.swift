import ArgumentParser
import Defense

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch the pinned model and corpora into the workspace cache, checking every hash.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "Which resources: minilm, vader, pattern (default: all).")
    var names: [String] = []

    func run() throws {
        let packages = try failing {
            try (names.isEmpty ? PinnedResources.all.map(\.name) : names).map { name in
                guard let p = PinnedResources.named(name) else {
                    throw FinemixError("unknown resource '\(name)'; known: \(PinnedResources.all.map(\.name).joined(separator: ", "))")
                }
                return p
            }
        }
        let cache = workspace.cache
        for package in packages {
            let dir = try failing { try cache.ensure(package, progress: note) }
            print("\(package.name)\t\(dir.path)")
        }
    }
}
