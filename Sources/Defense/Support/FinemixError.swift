/// The one error type the engine throws. Its message is what the user reads: it names the file,
/// the line or tensor, what was expected and what was found.
public struct FinemixError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
