import Foundation
import Linalg

/// One grid point of a cross-validation: its penalty and its held-out log-loss over the folds.
public struct LogisticCrossValidationRow: Sendable, Codable, Equatable {
    /// `λ` (``LogisticRegression/Configuration/l2Penalty``).
    public let l2Penalty: Double
    /// `r` (``LogisticRegression/Configuration/l1Ratio``).
    public let l1Ratio: Double
    /// The mean over folds of each fold's held-out log-loss `Σ wᵢℓᵢ / Σ wᵢ` (sample weights, not class weights).
    public let meanLogLoss: Double
    /// The standard error of ``meanLogLoss``: the sample standard deviation of the fold losses over `√k`.
    public let standardError: Double
    /// The held-out log-loss of each fold, in fold order.
    public let foldLogLosses: [Double]
    /// How many of the k fold fits converged.
    public let convergedFolds: Int
}

/// The result of a cross-validation: the grid table, the chosen row and the refit on all rows.
public struct LogisticCrossValidation<Fit: Sendable>: Sendable {
    /// One row per grid point, `l1Ratio` outer and `l2Penalty` inner, in the order the grids were given.
    public let table: [LogisticCrossValidationRow]
    /// The index in ``table`` of the lowest mean log-loss (the first one on ties).
    public let bestIndex: Int
    /// The fit on all rows with the chosen penalty.
    public let fit: Fit
    /// The chosen grid point.
    public var best: LogisticCrossValidationRow { table[bestIndex] }
}

extension LogisticRegression {
    /// Chooses `λ` (and `r`) by stratified k-fold cross-validation scored by held-out log-loss, then refits on
    /// all rows.
    ///
    /// Rows are split into `folds` folds stratified by label: each class's rows are shuffled with a
    /// generator seeded by `seed` and dealt round-robin, so every fold has nearly the same class mix and the
    /// same seed gives the same folds. For each grid point `(λ, r)` the model is fitted on k − 1 folds with
    /// `configuration` (its penalty replaced) and scored on the held-out fold; class weights, if any, are
    /// computed on the training folds. The grid point with the lowest mean log-loss wins (the first on
    /// ties), like scikit-learn's `LogisticRegressionCV(scoring='neg_log_loss')` with `refit=True`.
    ///
    /// - Parameters:
    ///   - x: n×d design matrix; `labels`: n outcomes in {0, 1}.
    ///   - configuration: everything but the penalty (weights, solver, tolerance, intercept).
    ///   - folds: k, at least 2 and at most n. Default 5.
    ///   - l2Grid: the values of `λ` to try (each finite and ≥ 0).
    ///   - l1RatioGrid: the values of `r` to try (each in [0, 1]). Default `[0]`.
    ///   - seed: the fold shuffle's seed. Default 0.
    /// - Throws: ``LogisticError`` for invalid data or configuration (as ``fit(_:labels:configuration:)``),
    ///   and `.invalidConfiguration` for an empty grid, an invalid grid value or `folds` out of range.
    /// - Complexity: `folds × grid` fits on (k − 1)/k of the rows, plus one on all; each fold's training rows
    ///   are copied (memory about twice `X`).
    public static func crossValidate(
        _ x: Matrix, labels: [Double], configuration: Configuration = .init(), folds: Int = 5,
        l2Grid: [Double], l1RatioGrid: [Double] = [0], seed: UInt64 = 0
    ) throws -> LogisticCrossValidation<LogisticFit> {
        try validate(x, labels: labels, configuration: configuration)
        let classes = labels.map { $0 == 1 ? 1 : 0 }
        return try runCrossValidation(
            x, classes: classes, configuration: configuration, folds: folds, l2Grid: l2Grid,
            l1RatioGrid: l1RatioGrid, seed: seed
        ) { train, trainRows, c in
            let fit = try fit(train, labels: trainRows.map { labels[$0] }, configuration: c)
            return ({ test, testRows in
                let eta = try fit.model.linearPredictors(test)
                return testRows.indices.map { t in
                    labels[testRows[t]] == 1 ? softplus(-eta[t]) : softplus(eta[t])
                }
            }, fit.report.converged)
        } refit: { c in
            try fit(x, labels: labels, configuration: c)
        }
    }
}

extension MultinomialLogisticRegression {
    /// Chooses `λ` (and `r`) by stratified k-fold cross-validation scored by held-out log-loss
    /// `−log pᵢ,yᵢ`, then refits on all rows; see
    /// ``LogisticRegression/crossValidate(_:labels:configuration:folds:l2Grid:l1RatioGrid:seed:)``.
    ///
    /// - Throws: ``LogisticError`` for invalid data, configuration, grid or fold count.
    public static func crossValidate(
        _ x: Matrix, classes: [Int], classCount: Int? = nil, configuration: LogisticRegression.Configuration = .init(),
        folds: Int = 5, l2Grid: [Double], l1RatioGrid: [Double] = [0], seed: UInt64 = 0
    ) throws -> LogisticCrossValidation<MultinomialLogisticFit> {
        let k = classCount ?? ((classes.max() ?? 0) + 1)
        // Validates everything (the fit throws before doing any work on bad input).
        if let i = classes.firstIndex(where: { !(0..<k).contains($0) }) {
            throw LogisticError(
                .invalidLabel, "classes[\(i)] is \(classes[i]); class indices must be in 0..<\(k)",
                position: .init(row: i))
        }
        try LogisticRegression.validate(
            x, labelCount: classes.count, labelName: "classes", configuration: configuration, multinomial: true,
            extra: k < 2 ? [(.invalidLabel, "a multinomial model needs at least 2 classes, got \(k)", nil)] : [])
        return try LogisticRegression.runCrossValidation(
            x, classes: classes, configuration: configuration, folds: folds, l2Grid: l2Grid,
            l1RatioGrid: l1RatioGrid, seed: seed
        ) { train, trainRows, c in
            let fit = try fit(train, classes: trainRows.map { classes[$0] }, classCount: k, configuration: c)
            return ({ test, testRows in
                let p = try fit.model.probabilities(test)
                return testRows.indices.map { t in -log(max(p[t, classes[testRows[t]]], .leastNormalMagnitude)) }
            }, fit.report.converged)
        } refit: { c in
            try fit(x, classes: classes, classCount: k, configuration: c)
        }
    }
}

extension LogisticRegression {
    /// Fits on the training folds and returns a scorer of held-out rows (their per-row log-losses).
    typealias FoldFit = (Matrix, [Int], Configuration) throws -> (
        score: (Matrix, [Int]) throws -> [Double], converged: Bool
    )

    static func runCrossValidation<Fit>(
        _ x: Matrix, classes: [Int], configuration: Configuration, folds: Int, l2Grid: [Double],
        l1RatioGrid: [Double], seed: UInt64, fitFold: FoldFit, refit: (Configuration) throws -> Fit
    ) throws -> LogisticCrossValidation<Fit> {
        var problems: [String] = []
        if l2Grid.isEmpty { problems.append("l2Grid is empty; give at least one penalty") }
        if l1RatioGrid.isEmpty { problems.append("l1RatioGrid is empty; give at least one ratio (0 for pure L2)") }
        if let bad = l2Grid.first(where: { !($0 >= 0 && $0.isFinite) }) {
            problems.append("l2Grid holds \(bad); penalties must be finite and ≥ 0")
        }
        if let bad = l1RatioGrid.first(where: { !($0 >= 0 && $0 <= 1) }) {
            problems.append("l1RatioGrid holds \(bad); ratios must be in [0, 1]")
        }
        if configuration.solver == .newton && l1RatioGrid.contains(where: { $0 > 0 }) {
            problems.append("solver newton cannot fit the L1 ratios in l1RatioGrid; use solver auto or lbfgs")
        }
        if !(2...max(2, x.rows)).contains(folds) || folds > x.rows {
            problems.append("folds must be between 2 and the number of rows (\(x.rows)), got \(folds)")
        }
        if !problems.isEmpty {
            throw LogisticError(.invalidConfiguration, problems.joined(separator: "; "))
        }
        let assignment = stratifiedFolds(classes: classes, folds: folds, seed: seed)
        let weights = configuration.sampleWeights
        var splits: [(train: Matrix, trainRows: [Int], test: Matrix, testRows: [Int])] = []
        for fold in 0..<folds {
            let testRows = assignment.indices.filter { assignment[$0] == fold }
            let trainRows = assignment.indices.filter { assignment[$0] != fold }
            splits.append((selectRows(x, trainRows), trainRows, selectRows(x, testRows), testRows))
        }
        var table: [LogisticCrossValidationRow] = []
        for ratio in l1RatioGrid {
            for penalty in l2Grid {
                var losses: [Double] = []
                var converged = 0
                for split in splits {
                    var c = configuration
                    c.l2Penalty = penalty
                    c.l1Ratio = ratio
                    c.sampleWeights = weights.map { w in split.trainRows.map { w[$0] } }
                    let (score, ok) = try fitFold(split.train, split.trainRows, c)
                    if ok { converged += 1 }
                    let rowLosses = try score(split.test, split.testRows)
                    var total = 0.0
                    var weightSum = 0.0
                    for (t, row) in split.testRows.enumerated() {
                        let w = weights?[row] ?? 1
                        total += w * rowLosses[t]
                        weightSum += w
                    }
                    losses.append(weightSum > 0 ? total / weightSum : .nan)
                }
                let mean = losses.reduce(0, +) / Double(losses.count)
                let variance = losses.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(losses.count - 1, 1))
                table.append(
                    LogisticCrossValidationRow(
                        l2Penalty: penalty, l1Ratio: ratio, meanLogLoss: mean,
                        standardError: (variance / Double(losses.count)).squareRoot(), foldLogLosses: losses,
                        convergedFolds: converged))
            }
        }
        var bestIndex = 0
        for (index, row) in table.enumerated() where row.meanLogLoss < table[bestIndex].meanLogLoss {
            bestIndex = index
        }
        var chosen = configuration
        chosen.l2Penalty = table[bestIndex].l2Penalty
        chosen.l1Ratio = table[bestIndex].l1Ratio
        return LogisticCrossValidation(table: table, bestIndex: bestIndex, fit: try refit(chosen))
    }

    /// The fold (in `0..<folds`) of each row: each class's rows are shuffled (Fisher–Yates with SplitMix64
    /// seeded by `seed`) and dealt round-robin, continuing the count from one class to the next.
    static func stratifiedFolds(classes: [Int], folds: Int, seed: UInt64) -> [Int] {
        var generator = SplitMix64(seed: seed)
        var assignment = [Int](repeating: 0, count: classes.count)
        var next = 0
        for label in Set(classes).sorted() {
            var rows = classes.indices.filter { classes[$0] == label }
            if rows.count > 1 {
                for i in stride(from: rows.count - 1, to: 0, by: -1) {
                    let j = Int(generator.next() % UInt64(i + 1))
                    rows.swapAt(i, j)
                }
            }
            for row in rows {
                assignment[row] = next % folds
                next += 1
            }
        }
        return assignment
    }

    /// The rows `rows` of `x`, in that order.
    static func selectRows(_ x: Matrix, _ rows: [Int]) -> Matrix {
        let n = x.rows
        let m = rows.count
        var out = Matrix(rows: m, columns: x.columns, repeating: 0)
        x.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for j in 0..<x.columns {
                    for (t, row) in rows.enumerated() {
                        target[t + j * m] = source[row + j * n]
                    }
                }
            }
        }
        return out
    }
}

/// Steele, Lea and Flood's SplitMix64: a small, fast, seedable generator for fold shuffles.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
