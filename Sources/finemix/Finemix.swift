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
            SubmitCommand.self,
            StatusCommand.self,
            CollectCommand.self,
            RunPlanCommand.self,
            RunCellCommand.self,
            HuntCommand.self,
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
    /// What an output folder must never hold (OutputFolder's protected inputs).
    var inputs: [(what: String, url: URL)] { [(what: "the workspace", url: url), (what: "the resource cache", url: cache.root)] }
}

/// `--force` of every command that writes a folder (OutputFolder's rule: only a folder finemix
/// wrote is ever replaced).
struct ReplaceOption: ParsableArguments {
    @Flag(name: .long, help: "Replace the output folder if it is one finemix wrote (marked by its .finemix file); nothing else is ever replaced.")
    var force = false
}

/// Progress lines go to stderr so stdout stays machine-readable.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Turns an engine error into one line on stderr and a non-zero exit. Any other error (a
/// Foundation file error that escaped) is translated, so Foundation's own text never shows.
func failing<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        note("finemix: \(FinemixError.describing(error).message)")
        throw ExitCode(1)
    }
}
