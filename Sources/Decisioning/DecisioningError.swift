/// The one error Decisioning throws: a ``code`` to branch on, a ``message`` saying what is wrong and what
/// to do, and where: the rule ``column``, the catalog ``actionID`` and ``field``, or the data ``row``.
///
/// ```swift
/// do {
///     let rule = try RuleExpression(parsing: "churn_probability > ")
/// } catch let error as DecisioningError where error.code == .syntaxError {
///     print(error)  // "column 21: expected a number, a name, true, false, 'not', '-' or '(', found the end of the rule"
/// }
/// ```
///
/// Catalog validation reports every problem at once: ``problems`` lists them, ``message`` joins them.
public struct DecisioningError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value to compare against (`error.code == .unknownName`).
    ///
    /// A struct over a private enum, so codes can be added without breaking exhaustive `switch`es.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case syntaxError, unknownName, typeMismatch, ruleTooLong, ruleTooDeep
            case invalidCatalog, invalidInput, invalidPropensity, numericalFailure
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// A rule is not well formed: an unexpected character or token, or a missing operand or `)`.
        public static let syntaxError = Code(.syntaxError)
        /// A rule names a value that is not in the name table it is compiled against.
        public static let unknownName = Code(.unknownName)
        /// A rule combines a number and a condition the wrong way (`x and y`, `(a > b) + 1`, `not x`).
        public static let typeMismatch = Code(.typeMismatch)
        /// A rule is longer than ``RuleExpression/maximumLength`` bytes.
        public static let ruleTooLong = Code(.ruleTooLong)
        /// A rule nests parentheses, `not` or unary minus deeper than ``RuleExpression/maximumNestingDepth``.
        public static let ruleTooDeep = Code(.ruleTooDeep)
        /// An action catalog is malformed or inconsistent; ``DecisioningError/problems`` lists every problem.
        public static let invalidCatalog = Code(.invalidCatalog)
        /// Data handed to a fit, a model or an estimator has the wrong shape or an impossible value.
        public static let invalidInput = Code(.invalidInput)
        /// A logging propensity is outside (0, 1] or a policy's probabilities do not sum to 1.
        public static let invalidPropensity = Code(.invalidPropensity)
        /// A model fit failed numerically.
        public static let numericalFailure = Code(.numericalFailure)
        /// The code's name, such as `unknownName`.
        public var description: String { value.rawValue }
    }

    /// One problem of a catalog: which action (or `nil` for the catalog itself), which field, and what.
    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        /// The id of the action the problem is in, or `nil` for a catalog-level field.
        public var actionID: String?
        /// The field, such as `cost`, `eligibility` or `contactPolicy.cooldownDays`.
        public var field: String
        /// The 1-based column in the eligibility rule, for rule problems.
        public var column: Int?
        /// What is wrong.
        public var message: String
        /// `action 'x', field 'cost': cost must be ≥ 0, got -1`.
        public var description: String {
            var where_ = actionID.map { "action '\($0)', field '\(field)'" } ?? "field '\(field)'"
            if let column { where_ += ", column \(column)" }
            return "\(where_): \(message)"
        }
    }

    /// What went wrong.
    public var code: Code
    /// What happened and what to do about it; for a catalog, every problem joined by "; ".
    public var message: String
    /// The 1-based column (in Unicode scalars) of a rule where the problem starts, if the problem is in a rule.
    public var column: Int?
    /// The first offending data row, if the problem is in data.
    public var row: Int?
    /// Every problem of a catalog (empty for other errors).
    public var problems: [Problem]
    /// The underlying error, such as a `DecodingError` or a `LogisticError`.
    public var cause: (any Error)?
    /// The ``message``.
    public var description: String { message }

    /// An error with every field given; most errors have only a code and a message.
    public init(
        _ code: Code, _ message: String, column: Int? = nil, row: Int? = nil, problems: [Problem] = [],
        cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.column = column
        self.row = row
        self.problems = problems
        self.cause = cause
    }
}
