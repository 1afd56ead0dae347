import Foundation

/// One sentence through every variant: what each predicts, and which of its tokens E-PUR resets.
public struct ProbeResult: Sendable, Equatable, Codable {
    public struct Row: Sendable, Equatable, Codable {
        public var variant: String
        public var label: Int
        public var confidence: Double
    }
    public var text: String
    public var tokens: [String]
    /// Tokens of the sentence among the rows the last E-PUR ranked for reset.
    public var flagged: [String]
    public var rows: [Row]
}
