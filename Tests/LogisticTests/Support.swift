import Foundation
import Linalg
import Testing

/// The seeded data set and peer fits written by `make_reference.py` (see its header to regenerate).
struct Reference: Decodable {
    struct SklearnFit: Decodable {
        let C: Double
        let l2Penalty: Double
        let intercept: Double
        let coefficients: [Double]
    }
    struct StatsmodelsFit: Decodable {
        let intercept: Double
        let coefficients: [Double]
        let interceptStandardError: Double
        let standardErrors: [Double]
        let interceptZ: Double
        let zScores: [Double]
        let interceptPValue: Double
        let pValues: [Double]
        let logLikelihood: Double
    }
    let seed: Int
    let n: Int
    let d: Int
    let sklearn: [SklearnFit]
    let statsmodels: StatsmodelsFit

    static func load() throws -> (reference: Reference, x: Matrix, y: [Double]) {
        let jsonURL = try #require(
            Bundle.module.url(forResource: "logit-reference", withExtension: "json", subdirectory: "Fixtures"))
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: jsonURL))
        let csvURL = try #require(
            Bundle.module.url(forResource: "logit-data", withExtension: "csv", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: csvURL, encoding: .utf8).split(separator: "\n").dropFirst()
        var rowMajor: [Double] = []
        var y: [Double] = []
        for line in lines {
            let fields = try line.split(separator: ",").map { try #require(Double(String($0))) }
            rowMajor += fields.dropLast()
            y.append(fields.last!)
        }
        #expect(y.count == reference.n)
        let x = try Matrix(rows: y.count, columns: reference.d, rowMajor: rowMajor)
        return (reference, x, y)
    }
}

/// Expects `|actual − expected| ≤ tolerance` elementwise and returns the largest difference.
@discardableResult
func expectClose(
    _ actual: [Double], _ expected: [Double], absoluteTolerance tolerance: Double,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Double {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    var worst = 0.0
    for (a, e) in zip(actual, expected) {
        worst = max(worst, abs(a - e))
    }
    #expect(worst <= tolerance, "max |Δ| = \(worst): \(actual) vs \(expected)", sourceLocation: sourceLocation)
    return worst
}

func matrix(_ rows: [[Double]]) throws -> Matrix {
    try Matrix(rows: rows.count, columns: rows.first?.count ?? 0, rowMajor: rows.flatMap { $0 })
}
