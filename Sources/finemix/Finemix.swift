import ArgumentParser
import Defense
import Foundation

@main
struct Finemix: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finemix",
        abstract: "Remove backdoors from fine-tuned language models with Fine-mixing and E-PUR.",
        subcommands: [
            FetchCommand.self,
            TuiPreviewCommand.self,
            PredictCommand.self,
            BenchCommand.self,
            InspectCommand.self,
            SynthCommand.self,
            TokenizeCommand.self,
            DataCommand.self,
            AttackCommand.self,
            EvalCommand.self,
            RunCommand.self,
            MixCommand.self,
            EpurCommand.self,
            TuiCommand.self,
            DemoCommand.self,
            DefendCommand.self,
            SweepCommand.self,
            CompareCommand.self,
        ],
        defaultSubcommand: DemoCommand.self)
}

/// Options every command that touches the workspace shares.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: "Workspace folder (resource cache, models, journal). Default: $XDG_DATA_HOME/finemix.")
    var workspace: String?

    var url: URL {
        workspace.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? Paths.defaultWorkspace()
    }
    var cache: ResourceCache { ResourceCache(workspace: url) }
}

/// Progress lines go to stderr so stdout stays machine-readable.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Turns an engine error into one line on stderr and a non-zero exit.
func failing<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as FinemixError {
        note("finemix: \(error.message)")
        throw ExitCode(1)
    }
}
