import Foundation

/// The tokenizer files of a model folder: which one the tokenizer is read from, every one
/// present (all are saved beside a model finemix writes), and stamps taken when the folder was
/// loaded, so a file replaced or edited afterwards is named instead of silently used.
public struct TokenizerFiles: Sendable {
    public static let json = "tokenizer.json"
    public static let wordPieceVocab = "vocab.txt"
    public static let bpeVocab = "vocab.json"
    public static let bpeMerges = "merges.txt"
    public static let config = "tokenizer_config.json"
    public static let specialsMap = "special_tokens_map.json"
    /// Every file that describes a tokenizer, in the order they are saved.
    public static let all = [json, wordPieceVocab, bpeVocab, bpeMerges, config, specialsMap]

    /// The file the tokenizer is read from.
    public let primary: URL
    /// Every tokenizer file of the folder, with its stamp at load.
    public let present: [(url: URL, stamp: FileStamp)]

    /// Finds and stamps the tokenizer files in `folder`.
    public init(folder: URL) throws {
        primary = try Self.primary(in: folder)
        present = try Self.all.map { folder.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
            .map { ($0, try FileStamp($0)) }
    }

    /// By preference tokenizer.json (what transformers saves today), else vocab.txt, else
    /// vocab.json with merges.txt.
    public static func primary(in folder: URL) throws -> URL {
        let fm = FileManager.default
        for name in [json, wordPieceVocab] where fm.fileExists(atPath: folder.appendingPathComponent(name).path) {
            return folder.appendingPathComponent(name)
        }
        let bpe = folder.appendingPathComponent(bpeVocab)
        if fm.fileExists(atPath: bpe.path) {
            guard fm.fileExists(atPath: folder.appendingPathComponent(bpeMerges).path) else {
                throw FinemixError("\(folder.appendingPathComponent(bpeMerges).path): missing; vocab.json needs merges.txt beside it")
            }
            return bpe
        }
        throw FinemixError("\(folder.appendingPathComponent(wordPieceVocab).path): missing; a model folder needs a tokenizer next to config.json: tokenizer.json, vocab.txt, or vocab.json with merges.txt")
    }

    /// Throws naming the first tokenizer file that changed or went away since the folder was loaded.
    public func requireUnchanged() throws {
        for (url, stamp) in present { try stamp.requireUnchanged(url) }
    }

    /// Reads the tokenizer files that sit beside `source` (a tokenizer file or a folder), to be
    /// saved with a model by `write`. A file of another name is a vocab.txt and is saved as one.
    public static func read(from source: URL) throws -> [(name: String, data: Data, from: URL)] {
        var isDir: ObjCBool = false
        let isFolder = FileManager.default.fileExists(atPath: source.path, isDirectory: &isDir) && isDir.boolValue
        let folder = isFolder ? source : source.deletingLastPathComponent()
        let names = !isFolder && !all.contains(source.lastPathComponent) ? [source.lastPathComponent]
            : all.filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        return try names.map { name -> (name: String, data: Data, from: URL) in
            let from = folder.appendingPathComponent(name)
            do { return (all.contains(name) ? name : wordPieceVocab, try Data(contentsOf: from), from) } catch {
                throw FinemixError("\(from.path): cannot read the tokenizer file to save with the model")
            }
        }
    }

    /// Writes `files` into `dir`, each through a temporary name and a rename; a file already at
    /// its place is left as it is (rewriting it would change the stamp of a loaded folder).
    public static func write(_ files: [(name: String, data: Data, from: URL)], to dir: URL) throws {
        for (name, data, from) in files {
            let to = dir.appendingPathComponent(name)
            if from.standardizedFileURL != to.standardizedFileURL { try AtomicFile.write(data, to: to) }
        }
    }
}
