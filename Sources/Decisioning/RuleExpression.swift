/// An eligibility rule: a small, safe expression over named numeric values (features and model outputs),
/// such as `churn_probability > 0.3 and days_since_email >= 7`.
///
/// Parse once, compile against the table of names the caller will supply values for, then evaluate as
/// often as needed:
///
/// ```swift
/// let rule = try RuleExpression(parsing: "churn_probability > 0.3 and `segment=loyalist` == 1")
/// let compiled = try rule.compile(names: ["segment=loyalist", "churn_probability"])
/// compiled.evaluate([1, 0.42])   // true
/// ```
///
/// **Grammar.** Numbers (`12`, `0.5`, `1e-3`), names (ASCII letters, digits and `_`, not starting with a
/// digit; any other name, such as `` `segment=loyalist` ``, inside backquotes), `true`, `false`,
/// arithmetic `+ - * /` and unary `-`, comparisons `< <= > >= == !=`, `and`, `or`, `not`, parentheses.
/// Keywords are lower case; a value named like a keyword needs backquotes. From tightest to loosest:
/// unary `-` and `not`; `* /`; `+ -`; comparisons; `and`; `or`. Arithmetic, `and` and `or` associate to
/// the left (`8 - 4 - 2` is 2); comparisons do not chain (`a < b < c` is an error: join with `and`).
/// Because `not` binds tighter than comparisons, negate a comparison with parentheses: `not (x > 3)`.
///
/// **Types.** Names and numbers are numbers; comparisons, `true` and `false` are conditions. Arithmetic and
/// `< <= > >=` need numbers, `and`, `or` and `not` need conditions, `==` and `!=` need two of the same
/// kind, and the whole rule must be a condition; a mismatch is an error at the operator's column.
///
/// **NaN.** A missing value passed as NaN makes arithmetic NaN, and *every* comparison with NaN is false,
/// `!=` included (unlike IEEE `!=`): a rule never passes because a value is missing, unless it is written
/// to (`not (x > 3)` passes for NaN `x`). Division by zero follows IEEE (±∞, or NaN for `0 / 0`).
///
/// **Hostile input.** Rules longer than ``maximumLength`` bytes or nesting parentheses, `not` and unary `-`
/// deeper than ``maximumNestingDepth`` are refused; long chains (`1 + 1 + …`) are parsed by loops and
/// stored as a flat array, so no input can exhaust the stack. Errors give the 1-based column, counted in
/// Unicode scalars, and say what was expected.
public struct RuleExpression: Sendable, Hashable, CustomStringConvertible {
    /// The longest rule accepted, in UTF-8 bytes: 65,536.
    public static let maximumLength = 65_536
    /// The deepest nesting of parentheses, `not` and unary `-` accepted: 64.
    public static let maximumNestingDepth = 64

    /// The rule as written.
    public let source: String
    /// The distinct names the rule reads, in order of first appearance.
    public let names: [String]
    /// Post-order nodes: every node's operands come before it; the last node is the root.
    let nodes: [RuleNode]
    /// The column of each name's first appearance, aligned with ``names``.
    let nameColumns: [Int]

    /// Parses and type-checks `source`.
    ///
    /// - Throws: ``DecisioningError`` with code `.syntaxError`, `.typeMismatch`, `.ruleTooLong` or
    ///   `.ruleTooDeep`, its ``DecisioningError/column`` set and its message starting `column N:`.
    /// - Complexity: O(length of `source`).
    public init(parsing source: String) throws {
        let bytes = Array(source.utf8)
        guard bytes.count <= Self.maximumLength else {
            throw DecisioningError(
                .ruleTooLong,
                "the rule is \(bytes.count) bytes long; rules may have at most \(Self.maximumLength) bytes")
        }
        var parser = RuleParser(bytes: bytes)
        let result = try parser.parseRule()
        self.source = source
        self.nodes = result.nodes
        self.names = result.names
        self.nameColumns = result.nameColumns
    }

    /// Binds every name of the rule to its position in `table`, ready for fast evaluation.
    ///
    /// - Parameter table: the names of the values that ``CompiledRule/evaluate(_:)`` will receive, in
    ///   that order. If a name appears twice, the first position is used.
    /// - Throws: ``DecisioningError`` `.unknownName` at the column of the first name not in `table`,
    ///   listing every unknown name.
    public func compile(names table: [String]) throws -> CompiledRule {
        var positions: [String: Int] = [:]
        for (k, name) in table.enumerated() where positions[name] == nil { positions[name] = k }
        let unknown = names.indices.filter { positions[names[$0]] == nil }
        if let first = unknown.first {
            let list = unknown.map { "'\(names[$0])' (column \(nameColumns[$0]))" }.joined(separator: ", ")
            throw DecisioningError(
                .unknownName,
                "column \(nameColumns[first]): unknown name '\(names[first])'; the rule reads \(list), which "
                    + "\(unknown.count == 1 ? "is" : "are") not among the \(table.count) names given "
                    + "(features and model outputs)",
                column: nameColumns[first])
        }
        let slots = names.map { positions[$0]! }
        let instructions = nodes.map { node -> RuleInstruction in
            var instruction = RuleInstruction(operation: node.operation, left: node.left, right: node.right, value: node.value)
            if node.operation == .load { instruction.left = Int32(slots[Int(node.value)]) }
            return instruction
        }
        return CompiledRule(source: source, instructions: instructions, valueCount: table.count)
    }

    /// The ``source``.
    public var description: String { source }

    /// Two rules are equal when their sources are.
    public static func == (a: RuleExpression, b: RuleExpression) -> Bool { a.source == b.source }
    /// Hashes the ``source``.
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

extension RuleExpression: Codable {
    /// Decodes a rule from its source string, parsing it.
    ///
    /// - Throws: `DecodingError.dataCorrupted` wrapping the ``DecisioningError`` of a malformed rule.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try RuleExpression(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "\(error)", underlyingError: error))
        }
    }

    /// Encodes the rule as its source string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(source)
    }
}

/// A rule bound to a table of names: a flat list of operations reading values by position.
///
/// Evaluation creates no objects: its scratch registers (one `Double` per operation) are a temporary
/// allocation, on the stack for rules of up to 128 operations (the standard library's stack limit for
/// `withUnsafeTemporaryAllocation`), on the heap above that.
public struct CompiledRule: Sendable {
    /// The rule as written.
    public let source: String
    let instructions: [RuleInstruction]
    /// The number of names in the table the rule was compiled against.
    public let valueCount: Int

    /// Evaluates the rule on `values`, aligned with the table passed to ``RuleExpression/compile(names:)``.
    ///
    /// - Precondition: `values.count ≥ valueCount`.
    /// - Complexity: O(operations in the rule).
    public func evaluate(_ values: [Double]) -> Bool {
        precondition(
            values.count >= valueCount,
            "the rule '\(source)' was compiled for \(valueCount) values but got \(values.count)")
        return values.withUnsafeBufferPointer { evaluate(unchecked: $0, then: UnsafeBufferPointer(start: nil, count: 0)) }
    }

    /// Evaluates the rule on `values + more` without joining them: position `i ≥ values.count` reads
    /// `more[i − values.count]`.
    ///
    /// - Precondition: `values.count + more.count ≥ valueCount`.
    package func evaluate(_ values: [Double], then more: [Double]) -> Bool {
        precondition(
            values.count + more.count >= valueCount,
            "the rule '\(source)' was compiled for \(valueCount) values but got \(values.count + more.count)")
        return values.withUnsafeBufferPointer { first in more.withUnsafeBufferPointer { evaluate(unchecked: first, then: $0) } }
    }

    private func evaluate(unchecked values: UnsafeBufferPointer<Double>, then more: UnsafeBufferPointer<Double>) -> Bool {
        instructions.withUnsafeBufferPointer { program in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: program.count) { registers in
                for k in 0..<program.count {
                    let instruction = program[k]
                    // `.load` keeps a value position in `left`, not a register: read operands only for
                    // the operations that have them.
                    let hasOperands = instruction.operation != .load && instruction.operation != .constant
                    let a = hasOperands && instruction.left >= 0 ? registers[Int(instruction.left)] : 0
                    let b = hasOperands && instruction.right >= 0 ? registers[Int(instruction.right)] : 0
                    let result: Double
                    switch instruction.operation {
                    case .constant: result = instruction.value
                    case .load:
                        let i = Int(instruction.left)
                        result = i < values.count ? values[i] : more[i - values.count]
                    case .negate: result = -a
                    case .not: result = a != 0 ? 0 : 1
                    case .add: result = a + b
                    case .subtract: result = a - b
                    case .multiply: result = a * b
                    case .divide: result = a / b
                    case .less: result = a < b ? 1 : 0
                    case .lessEqual: result = a <= b ? 1 : 0
                    case .greater: result = a > b ? 1 : 0
                    case .greaterEqual: result = a >= b ? 1 : 0
                    case .equal: result = a == b ? 1 : 0
                    case .notEqual: result = (a < b || a > b) ? 1 : 0  // false when either is NaN
                    case .and: result = (a != 0 && b != 0) ? 1 : 0
                    case .or: result = (a != 0 || b != 0) ? 1 : 0
                    }
                    registers[k] = result
                }
                return registers[program.count - 1] != 0
            }
        }
    }
}

// MARK: - Internals

enum RuleOperation: UInt8, Sendable, Hashable {
    case constant, load, negate, not, add, subtract, multiply, divide
    case less, lessEqual, greater, greaterEqual, equal, notEqual, and, or
}

/// One operation of a compiled rule: its result goes to the register of its own index.
struct RuleInstruction: Sendable {
    var operation: RuleOperation
    /// Register of the left (or only) operand, or, for `.load`, the value position; -1 when unused.
    var left: Int32
    /// Register of the right operand; -1 when unused.
    var right: Int32
    /// The constant of `.constant`.
    var value: Double
}

struct RuleNode: Sendable, Hashable {
    var operation: RuleOperation
    var left: Int32 = -1
    var right: Int32 = -1
    /// The constant, or for `.load` the index into the rule's names.
    var value: Double = 0
    var column: Int
    var isCondition: Bool
}

private enum TokenKind: Equatable {
    case number, name, trueKeyword, falseKeyword, and, or, not
    case plus, minus, star, slash, less, lessEqual, greater, greaterEqual, equal, notEqual
    case leftParenthesis, rightParenthesis, end
}

private struct Token {
    var kind: TokenKind
    var start: Int
    /// One past the token's last byte (set by the lexer once the token is read).
    var end: Int = 0
    var number: Double = 0
    var name: String = ""
}

/// Recursive descent over a flat token stream. Recursion happens only at `(`, `not` and unary `-`, each
/// counted against the nesting limit; binary chains are loops.
private struct RuleParser {
    let bytes: [UInt8]
    var position = 0
    var token = Token(kind: .end, start: 0)
    var depth = 0
    var nodes: [RuleNode] = []
    var names: [String] = []
    var nameColumns: [Int] = []
    var nameIndex: [String: Int] = [:]

    /// `columns[k]` is the 1-based column of byte `k` (one pass, so messages cost O(1) each).
    let columns: [Int32]

    init(bytes: [UInt8]) {
        self.bytes = bytes
        var columns = [Int32](repeating: 1, count: bytes.count + 1)
        var count: Int32 = 0
        for k in 0..<bytes.count {
            if bytes[k] & 0xC0 != 0x80 { count += 1 }
            columns[k] = count
        }
        columns[bytes.count] = count + 1
        self.columns = columns
    }

    mutating func parseRule() throws -> (nodes: [RuleNode], names: [String], nameColumns: [Int]) {
        try advance()
        if token.kind == .end {
            throw failure(.syntaxError, at: 0, "the rule is empty; expected a condition such as x > 0")
        }
        let root = try parseOr()
        if token.kind != .end {
            throw failure(
                .syntaxError, at: token.start,
                "expected 'and', 'or', an operator or the end of the rule, found \(describe(token))")
        }
        if !nodes[root].isCondition {
            throw failure(
                .typeMismatch, at: 0,
                "the rule is a number, not a condition; compare it with something, for example x > 0")
        }
        return (nodes, names, nameColumns)
    }

    // MARK: Grammar

    mutating func parseOr() throws -> Int {
        var left = try parseAnd()
        while token.kind == .or {
            let at = token.start
            try advance()
            let right = try parseAnd()
            left = try addBinary(.or, "or", left, right, at: at, operands: .conditions)
        }
        return left
    }

    mutating func parseAnd() throws -> Int {
        var left = try parseComparison()
        while token.kind == .and {
            let at = token.start
            try advance()
            let right = try parseComparison()
            left = try addBinary(.and, "and", left, right, at: at, operands: .conditions)
        }
        return left
    }

    mutating func parseComparison() throws -> Int {
        let left = try parseAdditive()
        guard let (operation, symbol) = comparison(token.kind) else { return left }
        let at = token.start
        try advance()
        let right = try parseAdditive()
        let kind: OperandKind = (operation == .equal || operation == .notEqual) ? .sameKind : .numbers
        let node = try addBinary(operation, symbol, left, right, at: at, operands: kind, result: true)
        if comparison(token.kind) != nil {
            throw failure(
                .syntaxError, at: token.start,
                "comparisons do not chain: expected 'and', 'or', ')' or the end of the rule after the comparison "
                    + "at column \(column(at)), found \(describe(token)); write a < b and b < c")
        }
        return node
    }

    mutating func parseAdditive() throws -> Int {
        var left = try parseMultiplicative()
        while token.kind == .plus || token.kind == .minus {
            let (operation, symbol): (RuleOperation, String) = token.kind == .plus ? (.add, "+") : (.subtract, "-")
            let at = token.start
            try advance()
            let right = try parseMultiplicative()
            left = try addBinary(operation, symbol, left, right, at: at, operands: .numbers)
        }
        return left
    }

    mutating func parseMultiplicative() throws -> Int {
        var left = try parseUnary()
        while token.kind == .star || token.kind == .slash {
            let (operation, symbol): (RuleOperation, String) = token.kind == .star ? (.multiply, "*") : (.divide, "/")
            let at = token.start
            try advance()
            let right = try parseUnary()
            left = try addBinary(operation, symbol, left, right, at: at, operands: .numbers)
        }
        return left
    }

    mutating func parseUnary() throws -> Int {
        guard token.kind == .minus || token.kind == .not else { return try parsePrimary() }
        let isNot = token.kind == .not
        let at = token.start
        try enter(at: at)
        try advance()
        let operand = try parseUnary()
        depth -= 1
        if isNot && !nodes[operand].isCondition {
            throw failure(
                .typeMismatch, at: at,
                "'not' needs a condition, but its operand at column \(nodes[operand].column) is a number; "
                    + "'not' binds tighter than comparisons, so write not (x > 3)")
        }
        if !isNot && nodes[operand].isCondition {
            throw failure(
                .typeMismatch, at: at,
                "unary '-' needs a number, but its operand at column \(nodes[operand].column) is a condition")
        }
        return append(RuleNode(operation: isNot ? .not : .negate, left: Int32(operand), column: column(at), isCondition: isNot))
    }

    mutating func parsePrimary() throws -> Int {
        let current = token
        switch current.kind {
        case .number:
            try advance()
            return append(RuleNode(operation: .constant, value: current.number, column: column(current.start), isCondition: false))
        case .trueKeyword, .falseKeyword:
            try advance()
            return append(
                RuleNode(operation: .constant, value: current.kind == .trueKeyword ? 1 : 0, column: column(current.start), isCondition: true))
        case .name:
            try advance()
            let index: Int
            if let known = nameIndex[current.name] {
                index = known
            } else {
                index = names.count
                nameIndex[current.name] = index
                names.append(current.name)
                nameColumns.append(column(current.start))
            }
            return append(RuleNode(operation: .load, value: Double(index), column: column(current.start), isCondition: false))
        case .leftParenthesis:
            try enter(at: current.start)
            try advance()
            let inner = try parseOr()
            guard token.kind == .rightParenthesis else {
                throw failure(
                    .syntaxError, at: token.start,
                    "expected ')' to close the '(' at column \(column(current.start)), found \(describe(token))")
            }
            depth -= 1
            try advance()
            return inner
        default:
            throw failure(
                .syntaxError, at: current.start,
                "expected a number, a name, true, false, 'not', '-' or '(', found \(describe(current))")
        }
    }

    // MARK: Nodes and types

    enum OperandKind { case numbers, conditions, sameKind }

    mutating func addBinary(
        _ operation: RuleOperation, _ symbol: String, _ left: Int, _ right: Int, at: Int, operands: OperandKind,
        result: Bool? = nil
    ) throws -> Int {
        let (l, r) = (nodes[left], nodes[right])
        func kind(_ node: RuleNode) -> String { node.isCondition ? "a condition" : "a number" }
        switch operands {
        case .numbers:
            for (side, node) in [("left", l), ("right", r)] where node.isCondition {
                throw failure(
                    .typeMismatch, at: at,
                    "'\(symbol)' needs numbers on both sides, but its \(side) operand at column \(node.column) is "
                        + "a condition")
            }
        case .conditions:
            for (side, node) in [("left", l), ("right", r)] where !node.isCondition {
                throw failure(
                    .typeMismatch, at: at,
                    "'\(symbol)' needs conditions on both sides, but its \(side) operand at column \(node.column) is "
                        + "a number; compare it, for example x > 0")
            }
        case .sameKind:
            if l.isCondition != r.isCondition {
                throw failure(
                    .typeMismatch, at: at,
                    "'\(symbol)' compares \(kind(l)) (column \(l.column)) with \(kind(r)) (column \(r.column)); "
                        + "both sides must be numbers or both conditions")
            }
        }
        let isCondition = result ?? (operands == .conditions)
        return append(
            RuleNode(operation: operation, left: Int32(left), right: Int32(right), column: column(at), isCondition: isCondition))
    }

    mutating func append(_ node: RuleNode) -> Int {
        nodes.append(node)
        return nodes.count - 1
    }

    mutating func enter(at offset: Int) throws {
        depth += 1
        if depth > RuleExpression.maximumNestingDepth {
            throw failure(
                .ruleTooDeep, at: offset,
                "the rule nests parentheses, 'not' and '-' more than \(RuleExpression.maximumNestingDepth) deep")
        }
    }

    func comparison(_ kind: TokenKind) -> (RuleOperation, String)? {
        switch kind {
        case .less: (.less, "<")
        case .lessEqual: (.lessEqual, "<=")
        case .greater: (.greater, ">")
        case .greaterEqual: (.greaterEqual, ">=")
        case .equal: (.equal, "==")
        case .notEqual: (.notEqual, "!=")
        default: nil
        }
    }

    // MARK: Lexer

    /// The 1-based column of byte `offset`, counted in Unicode scalars.
    func column(_ offset: Int) -> Int { Int(columns[min(max(offset, 0), bytes.count)]) }

    func failure(_ code: DecisioningError.Code, at offset: Int, _ message: String) -> DecisioningError {
        let c = column(offset)
        return DecisioningError(code, "column \(c): \(message)", column: c)
    }

    func describe(_ token: Token) -> String {
        switch token.kind {
        case .end: "the end of the rule"
        case .number: "the number \(text(token))"
        case .name: "the name '\(token.name)'"
        default: "'\(text(token))'"
        }
    }

    /// The token's text as written (for messages).
    func text(_ token: Token) -> String {
        String(decoding: bytes[token.start..<max(token.start, min(token.end, bytes.count))], as: UTF8.self)
    }

    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
    func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
    func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    func isWordByte(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) }

    mutating func advance() throws {
        try lex()
        token.end = position
    }

    mutating func lex() throws {
        while position < bytes.count && isSpace(bytes[position]) { position += 1 }
        let start = position
        guard position < bytes.count else {
            token = Token(kind: .end, start: start)
            return
        }
        let b = bytes[position]
        func single(_ kind: TokenKind, length: Int = 1) -> Token {
            position += length
            return Token(kind: kind, start: start)
        }
        let next: UInt8? = position + 1 < bytes.count ? bytes[position + 1] : nil
        switch b {
        case UInt8(ascii: "+"): token = single(.plus)
        case UInt8(ascii: "-"): token = single(.minus)
        case UInt8(ascii: "*"): token = single(.star)
        case UInt8(ascii: "/"): token = single(.slash)
        case UInt8(ascii: "("): token = single(.leftParenthesis)
        case UInt8(ascii: ")"): token = single(.rightParenthesis)
        case UInt8(ascii: "<"): token = next == UInt8(ascii: "=") ? single(.lessEqual, length: 2) : single(.less)
        case UInt8(ascii: ">"): token = next == UInt8(ascii: "=") ? single(.greaterEqual, length: 2) : single(.greater)
        case UInt8(ascii: "="):
            guard next == UInt8(ascii: "=") else {
                throw failure(.syntaxError, at: start, "unexpected '='; write '==' to test equality")
            }
            token = single(.equal, length: 2)
        case UInt8(ascii: "!"):
            guard next == UInt8(ascii: "=") else {
                throw failure(.syntaxError, at: start, "unexpected '!'; write '!=' for inequality or 'not' to negate")
            }
            token = single(.notEqual, length: 2)
        case UInt8(ascii: "`"):
            position += 1
            while position < bytes.count && bytes[position] != UInt8(ascii: "`") && bytes[position] != 0x0A
                && bytes[position] != 0x0D
            {
                position += 1
            }
            guard position < bytes.count && bytes[position] == UInt8(ascii: "`") else {
                throw failure(.syntaxError, at: start, "the backquoted name starting here has no closing '`' on its line")
            }
            let name = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
            position += 1
            guard !name.isEmpty else { throw failure(.syntaxError, at: start, "empty backquoted name ``") }
            token = Token(kind: .name, start: start, name: name)
        case _ where isDigit(b):
            token = try lexNumber()
        case _ where isLetter(b):
            while position < bytes.count && isWordByte(bytes[position]) { position += 1 }
            let word = String(decoding: bytes[start..<position], as: UTF8.self)
            switch word {
            case "true": token = Token(kind: .trueKeyword, start: start)
            case "false": token = Token(kind: .falseKeyword, start: start)
            case "and": token = Token(kind: .and, start: start)
            case "or": token = Token(kind: .or, start: start)
            case "not": token = Token(kind: .not, start: start)
            default: token = Token(kind: .name, start: start, name: word)
            }
        default:
            var end = start + 1
            while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
            let character = String(decoding: bytes[start..<end], as: UTF8.self)
            throw failure(
                .syntaxError, at: start,
                "unexpected character '\(character)'; names outside backquotes use ASCII letters, digits and '_' "
                    + "(write other names in backquotes, like `segment=loyalist`)")
        }
    }

    mutating func lexNumber() throws -> Token {
        let start = position
        func digits() -> Int {
            let first = position
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
            return position - first
        }
        _ = digits()
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            if digits() == 0 {
                throw failure(.syntaxError, at: position, "expected a digit after the decimal point of the number at column \(column(start))")
            }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                position += 1
            }
            if digits() == 0 {
                throw failure(.syntaxError, at: position, "expected the exponent's digits in the number at column \(column(start))")
            }
        }
        if position < bytes.count && (isLetter(bytes[position]) || bytes[position] == UInt8(ascii: ".")) {
            throw failure(
                .syntaxError, at: position,
                "unexpected '\(String(decoding: [bytes[position]], as: UTF8.self))' right after the number at "
                    + "column \(column(start)); names cannot start with a digit")
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw failure(.syntaxError, at: start, "the number \(text) is out of range")
        }
        return Token(kind: .number, start: start, number: value)
    }
}
