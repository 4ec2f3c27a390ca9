import Decisioning
import FuzzSupport

/// Arbitrary bytes as an eligibility rule: parsed, compiled against a few feature names and evaluated.
/// A `DecisioningError` is the expected answer to a bad rule.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRuleParser(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let names = ["churn_probability", "tenure_days", "segment=loyalist", "count_email_30d", "x"]
    do {
        let rule = try RuleExpression(parsing: text)
        let compiled = try rule.compile(names: names)
        for values in [[0.5, 10, 1, 3, -1], [.nan, -.infinity, 0, .infinity, 1e308]] {
            _ = compiled.evaluate(values)
        }
    } catch is DecisioningError {
    } catch {
        preconditionFailure("rule parser threw \(type(of: error)): \(error)")
    }
    return 0
}

runFuzzer(fuzzRuleParser)
