import Journeys

/// The one error the Features module throws: a bad configuration, bad attribute input, or a snapshot
/// that cannot be built honestly (for example a cutoff whose horizon runs past the end of the data).
///
/// `description` reads `file:line:column: message` when the problem is in an input file.
public struct FeatureError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem this is. New codes may be added; switch with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: String, Sendable {
            case invalidConfiguration, cannotRead, emptyInput, missingColumn, duplicateColumn, malformedQuoting
            case wrongFieldCount, invalidNumber, invalidText, censoredLabels, invalidCutoffs, noRows
            case duplicateFeatureName, shapeMismatch, eventOutOfOrder
        }
        let kind: Kind
        /// The code's name, such as `censoredLabels`.
        public var description: String { kind.rawValue }

        /// A configuration or label definition that cannot work (every problem is listed in the message).
        public static let invalidConfiguration = Code(kind: .invalidConfiguration)
        /// A file could not be opened or read.
        public static let cannotRead = Code(kind: .cannotRead)
        /// A file holds no header line.
        public static let emptyInput = Code(kind: .emptyInput)
        /// A declared column is not in the header.
        public static let missingColumn = Code(kind: .missingColumn)
        /// Two header fields have the same name.
        public static let duplicateColumn = Code(kind: .duplicateColumn)
        /// Quotes RFC 4180 does not allow, or a quote left open at the end of the file.
        public static let malformedQuoting = Code(kind: .malformedQuoting)
        /// A record has more or fewer fields than the header.
        public static let wrongFieldCount = Code(kind: .wrongFieldCount)
        /// A numeric attribute that does not parse as a finite number, or a non-finite external value.
        public static let invalidNumber = Code(kind: .invalidNumber)
        /// Bytes that are not UTF-8.
        public static let invalidText = Code(kind: .invalidText)
        /// A cutoff plus the horizon passes the end of the data: its labels would be censored.
        public static let censoredLabels = Code(kind: .censoredLabels)
        /// No cutoffs, or a cutoff given twice.
        public static let invalidCutoffs = Code(kind: .invalidCutoffs)
        /// No customer is eligible at any cutoff, so there is nothing to fit on.
        public static let noRows = Code(kind: .noRows)
        /// Two features would have the same name (for example a channel and an attribute level).
        public static let duplicateFeatureName = Code(kind: .duplicateFeatureName)
        /// A caller-supplied array has the wrong length (externals, attribute values).
        public static let shapeMismatch = Code(kind: .shapeMismatch)
        /// An event recorded into a `CustomerHistory` is earlier than the one before it.
        public static let eventOutOfOrder = Code(kind: .eventOutOfOrder)
    }

    /// What kind of problem this is, to branch on.
    public var code: Code
    /// What is wrong and, where it helps, what to do about it.
    public var message: String
    /// Where the problem is, when it is in an input file.
    public var position: InputPosition?

    /// An error with `code`, `message` and, when the problem is in a file, its `position`.
    public init(_ code: Code, _ message: String, at position: InputPosition? = nil) {
        self.code = code
        self.message = message
        self.position = position
    }

    /// `file:line:column: message`, or only the message when there is no position.
    public var description: String {
        if let position { return "\(position): \(message)" }
        return message
    }
}
