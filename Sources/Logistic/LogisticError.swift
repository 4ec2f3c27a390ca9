/// The one error Logistic throws: a ``code`` to branch on, a ``message`` saying what to do, the offending
/// row and column when there is one, and the underlying error (usually a `LinalgError`) as ``cause``.
///
/// ```swift
/// do {
///     let fit = try LogisticRegression.fit(x, labels: y)
/// } catch let error as LogisticError where error.code == .invalidLabel {
///     print(error)  // "labels[7] is 2.0; labels must be 0 or 1"
/// }
/// ```
///
/// Validation reports every problem it finds at once, joined by "; ", positioned at the first one.
/// Not converging is not an error: it is reported in ``LogisticFitReport``.
public struct LogisticError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value to compare against (`error.code == .invalidLabel`).
    ///
    /// A struct rather than an enum, so codes can be added without breaking exhaustive `switch`es.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case dimensionMismatch, invalidLabel, notFinite, invalidConfiguration, numericalFailure
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// Shapes do not fit: `labels`, `sampleWeights` or a scored row have the wrong length.
        public static let dimensionMismatch = Code(.dimensionMismatch)
        /// A label is not 0 or 1.
        public static let invalidLabel = Code(.invalidLabel)
        /// The design matrix or a sample weight holds NaN or an infinity.
        public static let notFinite = Code(.notFinite)
        /// A configuration field is out of range (negative penalty, negative weight, tolerance ≤ 0, …).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Linear algebra failed in a way the ridge fallback could not repair.
        public static let numericalFailure = Code(.numericalFailure)
        /// The code's name, such as `invalidLabel`.
        public var description: String { String(describing: value) }
    }

    /// Where in the input a problem is: a row of the design matrix and, when it applies, a column.
    public struct Position: Hashable, Sendable, Codable {
        public var row: Int
        public var column: Int?
        public init(row: Int, column: Int? = nil) {
            self.row = row
            self.column = column
        }
    }

    /// What went wrong.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// The first offending row (and column), if the problem is in the data.
    public var position: Position?
    /// The underlying error, such as the `LinalgError` a factorization threw.
    public var cause: (any Error)?
    /// The ``message``.
    public var description: String { message }

    public init(_ code: Code, _ message: String, position: Position? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.position = position
        self.cause = cause
    }
}
