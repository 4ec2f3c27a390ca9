/// The one error the Evaluation module throws: inputs that no metric can be computed from.
///
/// Validation reports every problem at once: `message` lists each, separated by `"; "`, and `code` and
/// `index` describe the first.
public struct EvaluationError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem this is. New codes may be added; switch with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: String, Sendable {
            case emptyInput, lengthMismatch, invalidScore, invalidWeight, zeroTotalWeight, notProbability
        }
        let kind: Kind
        /// The code's name, such as `lengthMismatch`.
        public var description: String { kind.rawValue }

        /// No rows at all.
        public static let emptyInput = Code(kind: .emptyInput)
        /// `scores`, `labels` and `weights` do not all have the same length.
        public static let lengthMismatch = Code(kind: .lengthMismatch)
        /// A score is NaN or infinite.
        public static let invalidScore = Code(kind: .invalidScore)
        /// A weight is negative, NaN or infinite.
        public static let invalidWeight = Code(kind: .invalidWeight)
        /// Every weight is zero, so no mean is defined.
        public static let zeroTotalWeight = Code(kind: .zeroTotalWeight)
        /// A metric that needs probabilities (log-loss, Brier score) got a score outside [0, 1].
        public static let notProbability = Code(kind: .notProbability)
    }

    /// What kind of problem this is, to branch on.
    public var code: Code
    /// What is wrong and what to do about it.
    public var message: String
    /// The 0-based row of the first offending value, when one row is at fault.
    public var index: Int?

    /// An error with `code`, `message` and, when one row is at fault, its `index`.
    public init(_ code: Code, _ message: String, index: Int? = nil) {
        self.code = code
        self.message = message
        self.index = index
    }

    /// The message, prefixed by the row when there is one.
    public var description: String {
        if let index { return "row \(index): \(message)" }
        return message
    }
}
