import Foundation
import Linalg

/// A fitted binary logistic regression model: `P(y = 1 | x) = σ(intercept + coefficientsᵀx)`.
///
/// An immutable value made by ``LogisticRegression/fit(_:labels:configuration:)``; scoring one row is a
/// short dot product in plain Swift, scoring a matrix is one `gemv`.
public struct LogisticModel: Sendable, Codable, Equatable {
    /// The unpenalized intercept `β₀` (0 when fitted with `fitIntercept: false`).
    public let intercept: Double
    /// `β₁…β_d`, one per column of the design matrix.
    public let coefficients: [Double]

    public init(intercept: Double, coefficients: [Double]) {
        self.intercept = intercept
        self.coefficients = coefficients
    }

    /// The linear predictor (log-odds) `η = β₀ + βᵀx` of one row.
    ///
    /// - Precondition: `row.count == coefficients.count`.
    public func linearPredictor(_ row: [Double]) -> Double {
        precondition(
            row.count == coefficients.count,
            "the row has \(row.count) features but the model has \(coefficients.count) coefficients")
        var eta = intercept
        for j in 0..<row.count {
            eta += coefficients[j] * row[j]
        }
        return eta
    }

    /// `P(y = 1)` for one row of features.
    ///
    /// - Precondition: `row.count == coefficients.count`.
    public func probability(_ row: [Double]) -> Double {
        sigmoid(linearPredictor(row))
    }

    /// The linear predictors `η = β₀ + Xβ` of every row of the n×d matrix `x` (one `gemv`).
    ///
    /// - Throws: ``LogisticError`` `.dimensionMismatch` if `x.columns ≠ coefficients.count`.
    public func linearPredictors(_ x: Matrix) throws -> [Double] {
        guard x.columns == coefficients.count else {
            throw LogisticError(
                .dimensionMismatch,
                "x is \(x.rows)×\(x.columns) but the model has \(coefficients.count) coefficients; "
                    + "pass the same feature columns the model was fitted on")
        }
        var eta = [Double](repeating: intercept, count: x.rows)
        if x.rows > 0 && x.columns > 0 {
            try gemv(x, coefficients, into: &eta, beta: 1)
        }
        return eta
    }

    /// `P(y = 1)` for every row of the n×d matrix `x`.
    ///
    /// - Throws: ``LogisticError`` `.dimensionMismatch` if `x.columns ≠ coefficients.count`.
    public func probabilities(_ x: Matrix) throws -> [Double] {
        try linearPredictors(x).map(sigmoid)
    }
}

/// `1 / (1 + e^-η)`, without overflow for large `|η|`.
@inline(__always)
func sigmoid(_ eta: Double) -> Double {
    if eta >= 0 {
        return 1 / (1 + exp(-eta))
    }
    let e = exp(eta)
    return e / (1 + e)
}

/// `log(1 + e^t)`, without overflow or cancellation: `max(t, 0) + log1p(e^-|t|)`.
@inline(__always)
func softplus(_ t: Double) -> Double {
    max(t, 0) + log1p(exp(-abs(t)))
}
