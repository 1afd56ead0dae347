import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What identifies a file's content without reading it: device, inode, size and modification
/// time. A loaded model keeps its weights in memory, but the vocabulary is read again later (to
/// tokenize, to save beside a model); the stamp taken at load tells whether it is still the file
/// that was loaded, so a file replaced or edited meanwhile is named instead of silently used.
public struct FileStamp: Equatable, Sendable {
    let device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int

    public init(_ url: URL) throws {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            throw FinemixError("\(url.path): cannot read: \(String(cString: strerror(errno)))")
        }
        device = UInt64(st.st_dev); inode = UInt64(st.st_ino); size = Int64(st.st_size)
        seconds = Int(st.st_mtim.tv_sec); nanoseconds = Int(st.st_mtim.tv_nsec)
    }

    /// Throws naming `url` when it is no longer the file this stamp was taken of.
    public func requireUnchanged(_ url: URL) throws {
        let now: FileStamp
        do { now = try FileStamp(url) } catch {
            throw FinemixError("\(url.path): was removed or became unreadable after the model was loaded; load the model again")
        }
        guard now == self else {
            throw FinemixError("\(url.path): changed after the model was loaded; load the model again so that it and its weights belong together")
        }
    }
}
