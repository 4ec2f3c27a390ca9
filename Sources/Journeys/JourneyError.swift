/// Where in an input a problem was found: file (or `<stdin>`), 1-based line and 1-based column.
public struct InputPosition: Sendable, Hashable, CustomStringConvertible {
    /// The path as given to the reader, or `<stdin>` for standard input.
    public var file: String
    /// 1-based line number of the problem.
    public var line: Int
    /// 1-based column in characters (Unicode scalars, not bytes); nil when the problem is the
    /// row or header as a whole.
    public var column: Int?

    /// A position; leave `column` nil when no single column is at fault.
    public init(file: String, line: Int, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form editors and compilers use.
    public var description: String {
        if let column { return "\(file):\(line):\(column)" }
        return "\(file):\(line)"
    }
}

/// The one error the Journeys module throws: bad input, or an input it cannot read.
///
/// `description` reads `file:line:column: message`, so a terminal or an editor can jump to the spot.
public struct JourneyError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem this is. New codes may be added; switch with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: String, Sendable {
            case cannotRead, emptyInput, missingColumn, duplicateColumn, malformedQuoting, wrongFieldCount
            case recordTooLong, invalidTimestamp, timestampOutOfRange, invalidNumber, invalidText
            case emptyField, tooManyDistinct, malformedJSON, invalidPath, tooManyErrors, invalidOption
            case notGrouped
        }
        let kind: Kind
        /// The code's name, such as `malformedQuoting`.
        public var description: String { kind.rawValue }

        /// The file could not be opened or read.
        public static let cannotRead = Code(kind: .cannotRead)
        /// The input holds no header (or, for paths, no data at all).
        public static let emptyInput = Code(kind: .emptyInput)
        /// A required column is not in the header.
        public static let missingColumn = Code(kind: .missingColumn)
        /// Two header fields have the same name.
        public static let duplicateColumn = Code(kind: .duplicateColumn)
        /// Quotes that RFC 4180 does not allow, or a quote left open at the end of the input.
        public static let malformedQuoting = Code(kind: .malformedQuoting)
        /// A record has more or fewer fields than the header.
        public static let wrongFieldCount = Code(kind: .wrongFieldCount)
        /// A record is longer than the reader's limit.
        public static let recordTooLong = Code(kind: .recordTooLong)
        /// A timestamp in no accepted format.
        public static let invalidTimestamp = Code(kind: .invalidTimestamp)
        /// A timestamp outside the years 1000...9999.
        public static let timestampOutOfRange = Code(kind: .timestampOutOfRange)
        /// A number that does not parse, or is NaN or infinite, or is out of its allowed range.
        public static let invalidNumber = Code(kind: .invalidNumber)
        /// Bytes that are not UTF-8, or a NUL byte.
        public static let invalidText = Code(kind: .invalidText)
        /// A required field is empty.
        public static let emptyField = Code(kind: .emptyField)
        /// More distinct channels, event types or actions than the store can number (65,535).
        public static let tooManyDistinct = Code(kind: .tooManyDistinct)
        /// An NDJSON line that is not a JSON object.
        public static let malformedJSON = Code(kind: .malformedJSON)
        /// An aggregated path row that breaks the path format's rules.
        public static let invalidPath = Code(kind: .invalidPath)
        /// More rows were rejected than `maxErrors` allows.
        public static let tooManyErrors = Code(kind: .tooManyErrors)
        /// A reader option that cannot work (for example a separator that is a quote).
        public static let invalidOption = Code(kind: .invalidOption)
        /// Input read as sorted by customer (`EventReader.readByCustomer`) is not.
        public static let notGrouped = Code(kind: .notGrouped)
    }

    /// What kind of problem this is, to branch on.
    public var code: Code
    /// What is wrong and, where it helps, what to do about it.
    public var message: String
    /// Where the problem is, when it is in the input.
    public var position: InputPosition?

    /// An error with `code`, `message` and, when the problem is in the input, its `position`.
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
