import Decisioning
import Foundation
import Journeys
import Testing

/// Parses, compiles against `names` and evaluates `rule` on `values`.
private func evaluate(_ rule: String, _ names: [String] = [], _ values: [Double] = []) throws -> Bool {
    try RuleExpression(parsing: rule).compile(names: names).evaluate(values)
}

/// The error `body` throws, which must be a `DecisioningError`.
private func decisioningError(_ body: () throws -> Void) throws -> DecisioningError {
    do {
        try body()
    } catch let error as DecisioningError {
        return error
    }
    Issue.record("expected a DecisioningError, but nothing was thrown")
    throw CancellationError()
}

@Suite struct RuleExpressionTests {
    /// A rule reading names far down a long table (a feature vector has hundreds of names, a rule a
    /// handful of operations): value positions must never be read as scratch registers.
    @Test func readsNamesBeyondTheRuleLength() throws {
        let names = (0..<1000).map { "f\($0)" }
        var values = (0..<1000).map(Double.init)
        #expect(try evaluate("f999 > 998.5 and f500 == 500", names, values))
        values[999] = 0
        #expect(try !evaluate("f999 > 998.5 and f500 == 500", names, values))
        #expect(try evaluate("f3 + f996 == 999", names, (0..<1000).map(Double.init)))
    }

    @Test func arithmeticPrecedenceAndAssociativity() throws {
        // Each case is true only with the stated precedence/associativity.
        #expect(try evaluate("1 + 2 * 3 == 7"))  // * before +
        #expect(try evaluate("(1 + 2) * 3 == 9"))
        #expect(try evaluate("8 - 4 - 2 == 2"))  // left: (8-4)-2, not 8-(4-2)=6
        #expect(try evaluate("8 / 4 / 2 == 1"))  // left: (8/4)/2, not 8/(4/2)=4
        #expect(try evaluate("-2 * 3 == -6"))
        #expect(try evaluate("- -3 == 3"))
        #expect(try evaluate("2 - -3 == 5"))
        #expect(try evaluate("10 - 2 * 3 - 1 == 3"))
        #expect(try evaluate("1e-3 * 1000 == 1.0"))
        #expect(try evaluate("0.1 + 0.2 != 0.3"))  // exact IEEE doubles, no rounding
    }

    @Test func logicalPrecedence() throws {
        // and before or: true or (false and false) = true; (true or false) and false = false.
        #expect(try evaluate("true or false and false"))
        #expect(try !evaluate("(true or false) and false"))
        // not before and: (not false) and false = false; not (false and false) = true.
        #expect(try !evaluate("not false and false"))
        #expect(try evaluate("not (false and false)"))
        // not before or: (not true) or true = true.
        #expect(try evaluate("not true or true"))
        #expect(try evaluate("not not true"))
        // comparison before and/or, arithmetic before comparison.
        #expect(try evaluate("x + 1 > 2 and y < 1 or false", ["x", "y"], [1.5, 0]))
        #expect(try !evaluate("x + 1 > 2 and y < 1", ["x", "y"], [0.5, 0]))
        // booleans compare with == and !=.
        #expect(try evaluate("(x > 1) == (y > 1)", ["x", "y"], [2, 3]))
        #expect(try evaluate("(x > 1) != true", ["x"], [0]))
        #expect(try evaluate("false == false"))
    }

    @Test func comparisonsOnExactValues() throws {
        let names = ["churn_probability", "days_since_email", "segment=loyalist"]
        let rule = try RuleExpression(parsing: "churn_probability > 0.3 and days_since_email >= 7")
        #expect(rule.names == ["churn_probability", "days_since_email"])
        let compiled = try rule.compile(names: names)
        #expect(compiled.evaluate([0.31, 7, 0]))
        #expect(!compiled.evaluate([0.3, 7, 0]))  // > is strict
        #expect(!compiled.evaluate([0.9, 6.999, 0]))
        #expect(try evaluate("`segment=loyalist` == 1", names, [0, 0, 1]))
        #expect(try !evaluate("`segment=loyalist` == 1", names, [0, 0, 0]))
        for (rule, expected) in [("3 < 3", false), ("3 <= 3", true), ("3 > 3", false), ("3 >= 3", true),
            ("3 == 3", true), ("3 != 3", false), ("2 < 3", true), ("4 != 3", true)]
        {
            #expect(try evaluate(rule) == expected, "\(rule)")
        }
        // The same name twice reads one value; names bind by position in the table, not in the rule.
        #expect(try evaluate("b - a == 1 and a * a == 4", ["b", "a"], [3, 2]))
    }

    /// The compiled rule agrees with the same condition written in Swift on 100,000 seeded random inputs.
    @Test func agreesWithDirectSwiftOnRandomInputs() throws {
        let rule = try RuleExpression(parsing: "churn_probability > 0.3 and days_since_email >= 7 or not (value * 2 - 1 < days_since_email / 10)")
            .compile(names: ["value", "churn_probability", "days_since_email"])
        var generator = SplitMix64(seed: 99)
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        var disagreements = 0, trues = 0
        for _ in 0..<100_000 {
            let values = [generator.uniform(), generator.uniform(), Double(generator.below(20))]
            let direct = (values[1] > 0.3 && values[2] >= 7) || !(values[0] * 2 - 1 < values[2] / 10)
            let start = clock.now
            let compiled = rule.evaluate(values)
            elapsed += clock.now - start
            if compiled != direct { disagreements += 1 }
            if compiled { trues += 1 }
        }
        print("rule evaluation: \(elapsed / 100_000) per call (this build), \(trues) of 100000 true (seed 99)")
        #expect(disagreements == 0)
        #expect(trues > 10_000 && trues < 90_000)
    }

    @Test func nanComparisonsAreFalse() throws {
        let names = ["x"]
        let nan = [Double.nan]
        for rule in ["x < 1", "x <= 1", "x > 1", "x >= 1", "x == 1", "x != 1", "x == x", "x != x", "x + 1 > 0"] {
            #expect(try !evaluate(rule, names, nan), "\(rule) with NaN")
        }
        #expect(try evaluate("not (x > 1)", names, nan))
        // Division by zero is IEEE: 1/0 = +inf, 0/0 = NaN.
        #expect(try evaluate("1 / 0 > 1e308"))
        #expect(try !evaluate("0 / 0 == 0 / 0"))
    }

    @Test func syntaxErrorsSayColumnAndExpectation() throws {
        let cases: [(String, Int, String)] = [
            ("churn > ", 9, "expected a number, a name, true, false, 'not', '-' or '(', found the end of the rule"),
            ("(x > 1", 7, "expected ')' to close the '(' at column 1, found the end of the rule"),
            ("x > 1)", 6, "expected 'and', 'or', an operator or the end of the rule, found ')'"),
            ("x > 1 (y)", 7, "expected 'and', 'or', an operator or the end of the rule, found '('"),
            ("x > 1 y", 7, "found the name 'y'"),
            ("x > 1 2.5", 7, "found the number 2.5"),
            ("x >= <= 1", 6, "found '<='"),
            ("x = 1", 3, "unexpected '='; write '==' to test equality"),
            ("!x", 1, "unexpected '!'"),
            ("x > 1 and and", 11, "found 'and'"),
            ("a < b < c", 7, "comparisons do not chain"),
            ("3x > 1", 2, "names cannot start with a digit"),
            ("1. > 0", 3, "expected a digit after the decimal point"),
            ("1e > 0", 3, "expected the exponent's digits"),
            ("1e999 > 0", 1, "the number 1e999 is out of range"),
            ("`segment=loyalist == 1", 1, "has no closing '`'"),
            ("`` > 1", 1, "empty backquoted name"),
            ("x > 1 # comment", 7, "unexpected character '#'"),
            ("", 1, "the rule is empty"),
            ("   ", 1, "the rule is empty"),
            // Columns count Unicode scalars, not bytes: é is 2 bytes but one column.
            ("`café` > 1 and prix€ > 2", 20, "unexpected character '€'"),
            ("été > 1", 1, "unexpected character 'é'"),
        ]
        for (rule, column, fragment) in cases {
            let error = try decisioningError { _ = try RuleExpression(parsing: rule) }
            #expect(error.code == .syntaxError, "\(rule): \(error)")
            #expect(error.column == column, "\(rule): \(error)")
            #expect(error.message.hasPrefix("column \(column): "), "\(rule): \(error)")
            #expect(error.message.contains(fragment), "\(rule): \(error)")
        }
    }

    @Test func typeErrorsPointAtTheOperator() throws {
        let cases: [(String, Int, String)] = [
            ("x and y > 1", 3, "'and' needs conditions on both sides, but its left operand at column 1 is a number"),
            ("x > 1 or 2", 7, "'or' needs conditions on both sides, but its right operand at column 10 is a number"),
            ("not x > 1", 1, "'not' needs a condition"),  // not binds tighter than >
            ("(x > 1) + 1 > 0", 9, "'+' needs numbers on both sides, but its left operand"),
            ("-(x > 1)", 1, "unary '-' needs a number"),
            ("true < false", 6, "'<' needs numbers on both sides"),
            ("(x > 1) == 1", 9, "'==' compares a condition (column 4) with a number (column 12)"),
            ("x + 1", 1, "the rule is a number, not a condition"),
        ]
        for (rule, column, fragment) in cases {
            let error = try decisioningError { _ = try RuleExpression(parsing: rule) }
            #expect(error.code == .typeMismatch, "\(rule): \(error)")
            #expect(error.column == column, "\(rule): \(error)")
            #expect(error.message.contains(fragment), "\(rule): \(error)")
        }
    }

    @Test func unknownNamesPointAtTheirColumn() throws {
        let rule = try RuleExpression(parsing: "churn_probability > 0.3 and `days since` >= 7 and x > 0")
        let error = try decisioningError { _ = try rule.compile(names: ["churn_probability", "x"]) }
        #expect(error.code == .unknownName)
        #expect(error.column == 29)
        #expect(error.message.hasPrefix("column 29: unknown name 'days since'"))
        // Keywords need backquotes to be names.
        #expect(try evaluate("`and` > 1", ["and"], [2]))
    }

    @Test func hostileInputs() throws {
        // 10,000 nested parentheses: refused at the 65th, without recursing 10,000 deep.
        let deep = String(repeating: "(", count: 10_000) + "x > 1" + String(repeating: ")", count: 10_000)
        let tooDeep = try decisioningError { _ = try RuleExpression(parsing: deep) }
        #expect(tooDeep.code == .ruleTooDeep)
        #expect(tooDeep.column == RuleExpression.maximumNestingDepth + 1)
        let nots = String(repeating: "not ", count: 10_000) + "true"
        #expect(try decisioningError { _ = try RuleExpression(parsing: nots) }.code == .ruleTooDeep)
        let minuses = String(repeating: "-", count: 5_000) + "1 > 0"
        #expect(try decisioningError { _ = try RuleExpression(parsing: minuses) }.code == .ruleTooDeep)
        // Exactly at the limit is fine.
        let limit = RuleExpression.maximumNestingDepth
        let atLimit = String(repeating: "(", count: limit) + "x > 1" + String(repeating: ")", count: limit)
        #expect(try evaluate(atLimit, ["x"], [2]))

        // A 1 MB rule is refused before parsing.
        let huge = String(repeating: "x + ", count: 262_144) + "1 > 0"
        let tooLong = try decisioningError { _ = try RuleExpression(parsing: huge) }
        #expect(tooLong.code == .ruleTooLong)
        #expect(tooLong.message.contains("at most 65536 bytes"))

        // A long flat chain just under the limit parses by loops and evaluates exactly.
        let terms = 16_000
        let chain = String(repeating: "x + ", count: terms) + "0 == \(terms)"
        #expect(chain.utf8.count <= RuleExpression.maximumLength)
        #expect(try evaluate(chain, ["x"], [1]))
        let orChain = Array(repeating: "x > 1", count: 5_000).joined(separator: " or ") + " or x == 0"
        #expect(try evaluate(orChain, ["x"], [0]))

        // Non-ASCII inside backquotes is a name; NUL and control bytes outside are errors.
        #expect(try evaluate("`größe ≥ 5` > 1", ["größe ≥ 5"], [2]))
        #expect(try decisioningError { _ = try RuleExpression(parsing: "x > 1\u{0}") }.code == .syntaxError)
        #expect(try decisioningError { _ = try RuleExpression(parsing: "\u{FEFF}x > 1") }.column == 1)
    }

    @Test func codableRoundTripsTheSource() throws {
        let rule = try RuleExpression(parsing: "a > 1 and not (b <= 2)")
        let data = try JSONEncoder().encode([rule])
        #expect(String(decoding: data, as: UTF8.self) == #"["a > 1 and not (b <= 2)"]"#)
        #expect(try JSONDecoder().decode([RuleExpression].self, from: data) == [rule])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([RuleExpression].self, from: Data(#"["a >"]"#.utf8)) }
    }
}
