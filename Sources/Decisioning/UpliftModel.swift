import Foundation
import Linalg
import Logistic

/// Logged decision points to learn uplift from: features, the action taken, the outcome, and optionally the
/// probability with which the logging policy took that action.
public struct UpliftTrainingData: Sendable {
    /// n×d design matrix, one row per decision point, without an intercept column.
    public var features: Matrix
    /// The d feature names, aligned with the columns of ``features`` (used in reasons and rules).
    public var featureNames: [String]
    /// The catalog's action ids (the arms besides "no action"), in catalog order.
    public var actionIDs: [String]
    /// Per row, the action taken: one of ``actionIDs``, or `none` or the empty string for no action.
    /// Rows with any other id are skipped and counted in ``UpliftFitReport/skippedRows``.
    public var loggedActions: [String]
    /// Per row, the outcome: 1 if it happened (the journey converted), else 0.
    public var outcomes: [Double]
    /// Per row, the logging policy's probability of the logged action, in (0, 1]; `nil` if not logged.
    public var propensities: [Double]?

    /// Training data with every field given; see the properties.
    public init(
        features: Matrix, featureNames: [String], actionIDs: [String], loggedActions: [String], outcomes: [Double],
        propensities: [Double]? = nil
    ) {
        self.features = features
        self.featureNames = featureNames
        self.actionIDs = actionIDs
        self.loggedActions = loggedActions
        self.outcomes = outcomes
        self.propensities = propensities
    }
}

/// A T-learner: one logistic model per arm ("no action" and each catalog action), each giving
/// `P(outcome | features, arm)`; the uplift of an action is its probability minus the no-action one.
///
/// Codable (doubles round-trip exactly through JSON) and `Sendable`; scoring one row is a few dot products.
public struct UpliftModel: Sendable, Codable, Equatable {
    /// How an arm's model was obtained.
    public enum ArmKind: String, Sendable, Codable, Equatable {
        /// Fitted on the arm's own rows.
        case separate
        /// The arm had too few rows or a single outcome class: the pooled model over every arm's rows, with
        /// the arm's own intercept shift (`pooled intercept + arm indicator coefficient`).
        case pooledFallback
        /// Read off one model fitted on every row with action indicators and action-by-feature interactions
        /// (``UpliftLearner/Learner/interactions``): intercept `β₀ + γₐ`, coefficients `β + δₐ`.
        case interaction
    }

    /// One arm's model.
    public struct Arm: Sendable, Codable, Equatable {
        /// `none` or the action id.
        public let id: String
        /// `P(outcome | x, arm) = σ(intercept + coefficientsᵀx)`.
        public let model: LogisticModel
        /// Separate fit or pooled fallback.
        public let kind: ArmKind

        /// An arm with every field given.
        public init(id: String, model: LogisticModel, kind: ArmKind = .separate) {
            self.id = id
            self.model = model
            self.kind = kind
        }
    }

    /// The feature names, aligned with each arm's coefficients.
    public let featureNames: [String]
    /// The action ids, in catalog order; arm `k + 1` is action `k`.
    public let actionIDs: [String]
    /// `none` first, then one arm per action id.
    public let arms: [Arm]

    /// A model from its arms (usually made by ``UpliftLearner/fit(_:configuration:)`` or decoded).
    ///
    /// - Throws: ``DecisioningError`` `.invalidInput` unless `arms` is `none` then one arm per action id in
    ///   order, each with one coefficient per feature name.
    public init(featureNames: [String], actionIDs: [String], arms: [Arm]) throws {
        let expected = [ActionCatalog.noActionID] + actionIDs
        guard arms.map(\.id) == expected else {
            throw DecisioningError(
                .invalidInput, "the arms are \(arms.map(\.id)) but must be \(expected): 'none', then the actions in order")
        }
        if let arm = arms.first(where: { $0.model.coefficients.count != featureNames.count }) {
            throw DecisioningError(
                .invalidInput,
                "arm '\(arm.id)' has \(arm.model.coefficients.count) coefficients for \(featureNames.count) features")
        }
        self.featureNames = featureNames
        self.actionIDs = actionIDs
        self.arms = arms
    }

    /// `P(outcome | row, arm)` for every arm: `none` first, then the actions in ``actionIDs`` order.
    ///
    /// - Precondition: `row.count == featureNames.count`.
    public func probabilities(_ row: [Double]) -> [Double] {
        arms.map { $0.model.probability(row) }
    }

    /// `probabilities(_:)` written into `out` (no allocation once it has the capacity).
    package func probabilities(_ row: [Double], into out: inout [Double]) {
        out.removeAll(keepingCapacity: true)
        arms.withUnsafeBufferPointer { arms in
            for arm in arms { out.append(arm.model.probability(row)) }
        }
    }

    /// The uplift `P(outcome | row, action) − P(outcome | row, none)` of each action, in ``actionIDs`` order.
    ///
    /// - Precondition: `row.count == featureNames.count`.
    public func uplift(_ row: [Double]) -> [Double] {
        let p = probabilities(row)
        return (1..<p.count).map { p[$0] - p[0] }
    }

    /// `P(outcome | row, arm)` for every row of the n×d matrix `x`: an n×(actions + 1) matrix, column 0
    /// for `none`, column `k + 1` for action `k`. Uplift is column `k + 1` minus column 0.
    ///
    /// - Throws: ``DecisioningError`` `.invalidInput` if `x.columns ≠ featureNames.count`.
    public func probabilities(_ x: Matrix) throws -> Matrix {
        guard x.columns == featureNames.count else {
            throw DecisioningError(
                .invalidInput,
                "x has \(x.columns) columns but the uplift model has \(featureNames.count) features; "
                    + "pass the columns it was fitted on, in the same order")
        }
        var out: [Double] = []
        out.reserveCapacity(x.rows * arms.count)
        for arm in arms { out += try arm.model.probabilities(x) }
        return try Matrix(rows: x.rows, columns: arms.count, columnMajor: out)
    }

    /// The uplift `P(outcome | row, action) − P(outcome | row, none)` of every row of the n×d matrix `x` and
    /// every action: an n×actions matrix, column `k` for action `k`.
    ///
    /// - Throws: ``DecisioningError`` `.invalidInput` if `x.columns ≠ featureNames.count`.
    public func uplift(_ x: Matrix) throws -> Matrix {
        let p = try probabilities(x)
        let n = x.rows
        var out = [Double](repeating: 0, count: n * actionIDs.count)
        p.withUnsafeBufferPointer { p in
            for k in 0..<actionIDs.count {
                for i in 0..<n { out[i + k * n] = p[i + (k + 1) * n] - p[i] }
            }
        }
        return try Matrix(rows: n, columns: actionIDs.count, columnMajor: out)
    }

    /// The largest contributions to the log-odds uplift of arm `arm` (1-based: action `arm − 1`) at `row`:
    /// `(βₐⱼ − β₀ⱼ)·xⱼ` per feature, and `(intercept)` for the intercept difference, the `limit` largest by
    /// magnitude, largest first (ties by feature order). Their sum over every feature and the intercept is
    /// the log-odds uplift `logit P(y | a) − logit P(y | none)`. Contributions of zero are left out: an arm
    /// that falls back to the pooled model has no reasons.
    ///
    /// - Precondition: `1 ≤ arm < arms.count` and `row.count == featureNames.count`.
    public func reasons(arm: Int, row: [Double], limit: Int = 3) -> [UpliftReason] {
        precondition(arm >= 1 && arm < arms.count, "arm \(arm) is not an action arm (1..<\(arms.count))")
        var found: [UpliftReason] = []
        reasons(weights: reasonWeights(arm: arm), oneThenRow: [1] + row, limit: limit, into: &found)
        return found
    }

    /// Arm `arm`'s coefficients minus the `none` arm's, intercept first: what ``reasons(arm:row:limit:)``
    /// multiplies the row by. An arbitrator makes them once per action.
    package func reasonWeights(arm: Int) -> [Double] {
        let a = arms[arm].model, base = arms[0].model
        return [a.intercept - base.intercept] + zip(a.coefficients, base.coefficients).map { $0 - $1 }
    }

    /// `reasons(arm:row:limit:)` from the arm's `reasonWeights(arm:)` and the row with a 1 in front (the
    /// intercept's "value"), written over `reasons` in place: the top positions go to stack space, so
    /// nothing is allocated once `reasons` has the capacity (this runs for every ranked action).
    package func reasons(weights: [Double], oneThenRow: [Double], limit: Int, into reasons: inout [UpliftReason]) {
        precondition(
            weights.count == oneThenRow.count && oneThenRow.count == featureNames.count + 1 && oneThenRow.first == 1,
            "the row has \(oneThenRow.count - 1) features, the model \(featureNames.count)")
        guard limit > 0 else { return reasons.removeAll(keepingCapacity: true) }
        // Position 0 is the intercept (first among ties; its weight times 1 is itself, exactly), j + 1 feature j.
        withUnsafeTemporaryAllocation(of: (position: Int, value: Double).self, capacity: limit) { top in
            let found = weights.withUnsafeBufferPointer { w in
                oneThenRow.withUnsafeBufferPointer { x in largestMagnitudes(among: x.count, into: top) { w[$0] * x[$0] } }
            }
            refill(&reasons, count: found) {
                UpliftReason(feature: top[$0].position == 0 ? "(intercept)" : featureNames[top[$0].position - 1], contribution: top[$0].value)
            }
        }
    }
}

extension UpliftModel {
    private enum CodingKeys: String, CodingKey { case featureNames, actionIDs, arms }

    /// Decodes a model and checks it as ``init(featureNames:actionIDs:arms:)`` does, so a corrupted file
    /// cannot make scoring fail later.
    ///
    /// - Throws: `DecodingError.dataCorrupted` wrapping the ``DecisioningError`` of an inconsistent model.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                featureNames: container.decode([String].self, forKey: .featureNames),
                actionIDs: container.decode([String].self, forKey: .actionIDs),
                arms: container.decode([Arm].self, forKey: .arms))
        } catch let error as DecisioningError {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.message, underlyingError: error))
        }
    }
}

/// One feature's contribution to an action's log-odds uplift: `(βₐⱼ − β₀ⱼ)·xⱼ`.
public struct UpliftReason: Sendable, Hashable, Codable {
    /// The feature name, or `(intercept)`.
    public var feature: String
    /// Its contribution to `logit P(y | action) − logit P(y | none)`; positive pushes towards the action.
    public var contribution: Double

    /// A reason with every field given.
    public init(feature: String, contribution: Double) {
        self.feature = feature
        self.contribution = contribution
    }
}

/// What fitting an ``UpliftModel`` did, arm by arm.
public struct UpliftFitReport: Sendable, Codable, Equatable {
    /// One arm's data and fit.
    public struct Arm: Sendable, Codable, Equatable {
        /// `none` or the action id.
        public let id: String
        /// Rows logged with this arm.
        public let rows: Int
        /// Rows of this arm with outcome 1.
        public let positives: Int
        /// How the arm's model was obtained.
        public let kind: UpliftModel.ArmKind
        /// Why the arm fell back to the pooled model, or `nil`.
        public let fallbackReason: String?
        /// Whether its logistic fit converged (for a fallback: the pooled fit).
        public let converged: Bool
        /// Newton iterations of its fit.
        public let iterations: Int
        /// `‖∇‖∞` of its fit's objective at the returned coefficients.
        public let gradientNorm: Double
        /// The logistic fit's notes (ridge fallbacks, stalled line searches, separation).
        public let notes: [String]
    }
    /// `none` first, then one entry per action.
    public let arms: [Arm]
    /// Rows skipped because their logged action is not in the catalog, by action id.
    public let skippedRows: [String: Int]
    /// Whether the fits were weighted by inverse propensities.
    public let weighted: Bool
}

/// The result of ``UpliftLearner/fit(_:configuration:)``.
public struct UpliftFit: Sendable {
    /// The fitted model.
    public let model: UpliftModel
    /// Rows, outcomes and fallbacks per arm, and skipped rows.
    public let report: UpliftFitReport
}

/// Fits ``UpliftModel``s from logged interventions by a T-learner of L2 logistic regressions.
///
/// ```swift
/// let fit = try UpliftLearner.fit(data, configuration: .init(l2Penalty: 1))
/// fit.model.uplift(row)   // per action: P(y | action) − P(y | none)
/// ```
public enum UpliftLearner {
    /// Which model structure to fit.
    public enum Learner: String, Sendable, Codable, Equatable {
        /// One logistic model per arm, on that arm's rows (with the pooled fallback for thin arms).
        case tLearner
        /// One logistic model on every row with the features `x`, one indicator `1[a]` per action and the
        /// interactions `1[a]·x`; arm `a` then has intercept `β₀ + γₐ` and coefficients `β + δₐ`. The penalty
        /// shrinks every action's deviation (`γₐ`, `δₐ`) towards the shared model, so thin arms borrow
        /// strength from the others instead of needing a fallback.
        case interactions
    }

    /// Hyper-parameters of ``fit(_:configuration:)``. Every field has a default.
    public struct Configuration: Sendable, Codable, Equatable {
        /// The model structure. Default ``Learner/tLearner``.
        public var learner: Learner
        /// L2 penalty `λ` of every logistic fit (never on intercepts). Default 1.
        public var l2Penalty: Double
        /// An arm with fewer rows than this (or with a single outcome class) uses the pooled fallback.
        /// Default 50.
        public var minimumRowsPerArm: Int
        /// Weight each row by `1 / propensity` when propensities are given. Default true.
        public var weightByInversePropensity: Bool
        /// Newton's stopping tolerance on `‖∇‖∞` of each fit. Default 1e-6: the gradient is a sum over the
        /// arm's rows (weights averaging 1), so this is near full precision for up to some hundred thousand
        /// rows; Newton converges quadratically, so a tighter value costs a step or two.
        public var tolerance: Double

        /// A configuration; see the properties for the defaults.
        public init(
            learner: Learner = .tLearner, l2Penalty: Double = 1, minimumRowsPerArm: Int = 50,
            weightByInversePropensity: Bool = true, tolerance: Double = 1e-6
        ) {
            self.learner = learner
            self.l2Penalty = l2Penalty
            self.minimumRowsPerArm = minimumRowsPerArm
            self.weightByInversePropensity = weightByInversePropensity
            self.tolerance = tolerance
        }
    }

    /// Fits one L2 logistic model per arm on that arm's rows (``Learner/tLearner``), or one model with
    /// action-by-feature interactions (``Learner/interactions``).
    ///
    /// **Why weight by `1/propensity`.** The logging policy chose each arm more often in some contexts than
    /// others (a biased policy), so each arm's rows describe a different population. An arm's model,
    /// misspecified or shrunk by the penalty as every real model is, fits best where its rows are dense;
    /// the difference of two arms' models then mixes the action's effect with where each arm was used.
    /// Weighting row `i` by `1/πᵢ` (importance weighting) makes every arm's weighted rows stand for the whole
    /// population of decision points, so all arms are fitted to the same population and their difference
    /// is the uplift there. Weights are rescaled to average 1 within each arm, so the penalty keeps the
    /// strength it has on unweighted data. With no propensities, every weight is 1.
    ///
    /// **Fallback.** An arm with fewer than ``Configuration/minimumRowsPerArm`` rows, or whose rows all have
    /// the same outcome, gets the pooled model instead: one logistic fit over every kept row with the
    /// features and one indicator column per action (so arms differ by an intercept shift only), its
    /// intercept shifted by the arm's indicator coefficient. ``UpliftFitReport/arms`` says which arms fell
    /// back and why. The interaction learner needs no fallback (`minimumRowsPerArm` is not used); an arm
    /// without rows then keeps the shared model (its deviations shrink to 0).
    ///
    /// - Throws: ``DecisioningError``: `.invalidInput` for mismatched lengths, outcomes other than 0 or 1,
    ///   non-finite features, duplicate or reserved action ids, or no usable row; `.invalidPropensity`
    ///   (with the row) for a propensity outside (0, 1]; `.numericalFailure` wrapping a `LogisticError`.
    /// - Complexity: O(n·d² + arms·d³) per Newton iteration.
    public static func fit(_ data: UpliftTrainingData, configuration: Configuration = .init()) throws -> UpliftFit {
        let x = data.features
        let n = x.rows, d = x.columns
        try validate(data)
        var armOfAction: [String: Int] = [ActionCatalog.noActionID: 0, "": 0]
        for (k, id) in data.actionIDs.enumerated() { armOfAction[id] = k + 1 }
        let armCount = data.actionIDs.count + 1

        var keptRows: [Int] = []
        var rowArm: [Int] = []
        var skipped: [String: Int] = [:]
        for i in 0..<n {
            if let arm = armOfAction[data.loggedActions[i]] {
                keptRows.append(i)
                rowArm.append(arm)
            } else {
                skipped[data.loggedActions[i], default: 0] += 1
            }
        }
        guard !keptRows.isEmpty else {
            throw DecisioningError(
                .invalidInput, "no row has a logged action of the catalog (\(n) rows, all skipped)")
        }
        let weighted = configuration.weightByInversePropensity && data.propensities != nil
        let rawWeights = keptRows.map { weighted ? 1 / data.propensities![$0] : 1.0 }

        var rowsOfArm = [[Int]](repeating: [], count: armCount)  // positions into keptRows
        for (position, arm) in rowArm.enumerated() { rowsOfArm[arm].append(position) }
        let ids = [ActionCatalog.noActionID] + data.actionIDs

        if configuration.learner == .interactions {
            return try fitInteractions(
                data, configuration, keptRows: keptRows, rowArm: rowArm, weights: normalized(rawWeights),
                skipped: skipped, weighted: weighted)
        }

        var arms: [UpliftModel.Arm?] = Array(repeating: nil, count: armCount)
        var reports: [UpliftFitReport.Arm?] = Array(repeating: nil, count: armCount)
        var needsFallback: [(arm: Int, reason: String)] = []
        for arm in 0..<armCount {
            let positions = rowsOfArm[arm]
            let positives = positions.count { data.outcomes[keptRows[$0]] == 1 }
            if positions.count < configuration.minimumRowsPerArm {
                needsFallback.append((arm, "\(positions.count) rows, fewer than minimumRowsPerArm = \(configuration.minimumRowsPerArm)"))
                continue
            }
            if positives == 0 || positives == positions.count {
                needsFallback.append((arm, "all \(positions.count) rows have outcome \(positives == 0 ? 0 : 1)"))
                continue
            }
            let sub = subMatrix(x, rows: positions.map { keptRows[$0] })
            let weights = normalized(positions.map { rawWeights[$0] })
            let fit = try logistic(
                sub, labels: positions.map { data.outcomes[keptRows[$0]] }, weights: weights, configuration)
            arms[arm] = .init(id: ids[arm], model: fit.model, kind: .separate)
            reports[arm] = .init(
                id: ids[arm], rows: positions.count, positives: positives, kind: .separate, fallbackReason: nil,
                converged: fit.report.converged, iterations: fit.report.iterations,
                gradientNorm: fit.report.gradientNorm, notes: Self.notes(fit.report))
        }

        if !needsFallback.isEmpty {
            // Pooled design: the features, then one indicator per action.
            let m = keptRows.count
            var columns = subMatrix(x, rows: keptRows).columnMajor
            columns.reserveCapacity(m * (d + armCount - 1))
            for arm in 1..<armCount {
                for position in 0..<m { columns.append(rowArm[position] == arm ? 1 : 0) }
            }
            let pooledX = try Matrix(rows: m, columns: d + armCount - 1, columnMajor: columns)
            let fit = try logistic(
                pooledX, labels: keptRows.map { data.outcomes[$0] }, weights: normalized(rawWeights), configuration)
            let beta = Array(fit.model.coefficients[0..<d])
            for (arm, reason) in needsFallback {
                let shift = arm == 0 ? 0 : fit.model.coefficients[d + arm - 1]
                let positions = rowsOfArm[arm]
                arms[arm] = .init(
                    id: ids[arm], model: LogisticModel(intercept: fit.model.intercept + shift, coefficients: beta),
                    kind: .pooledFallback)
                reports[arm] = .init(
                    id: ids[arm], rows: positions.count,
                    positives: positions.count { data.outcomes[keptRows[$0]] == 1 }, kind: .pooledFallback,
                    fallbackReason: reason, converged: fit.report.converged, iterations: fit.report.iterations,
                    gradientNorm: fit.report.gradientNorm, notes: Self.notes(fit.report))
            }
        }
        let model = try UpliftModel(featureNames: data.featureNames, actionIDs: data.actionIDs, arms: arms.map { $0! })
        let report = UpliftFitReport(arms: reports.map { $0! }, skippedRows: skipped, weighted: weighted)
        return UpliftFit(model: model, report: report)
    }

    /// One logistic fit on `[x | 1[a] | 1[a]·x]` over every kept row.
    static func fitInteractions(
        _ data: UpliftTrainingData, _ configuration: Configuration, keptRows: [Int], rowArm: [Int], weights: [Double],
        skipped: [String: Int], weighted: Bool
    ) throws -> UpliftFit {
        let x = data.features
        let d = x.columns, m = keptRows.count, actions = data.actionIDs.count
        let base = subMatrix(x, rows: keptRows)
        var columns = base.columnMajor
        columns.reserveCapacity(m * (d + actions + actions * d))
        for arm in stride(from: 1, through: actions, by: 1) {
            for position in 0..<m { columns.append(rowArm[position] == arm ? 1 : 0) }
        }
        base.withUnsafeBufferPointer { buffer in
            for arm in stride(from: 1, through: actions, by: 1) {
                for j in 0..<d {
                    for position in 0..<m { columns.append(rowArm[position] == arm ? buffer[position + j * m] : 0) }
                }
            }
        }
        let design = try Matrix(rows: m, columns: d + actions + actions * d, columnMajor: columns)
        let fit = try logistic(design, labels: keptRows.map { data.outcomes[$0] }, weights: weights, configuration)
        let c = fit.model.coefficients
        let beta = Array(c[0..<d])
        let ids = [ActionCatalog.noActionID] + data.actionIDs
        var arms: [UpliftModel.Arm] = []
        var reports: [UpliftFitReport.Arm] = []
        for arm in 0...actions {
            let (shift, deviation): (Double, [Double]) =
                arm == 0 ? (0, Array(repeating: 0, count: d))
                : (c[d + arm - 1], Array(c[(d + actions + (arm - 1) * d)..<(d + actions + arm * d)]))
            arms.append(.init(
                id: ids[arm],
                model: LogisticModel(intercept: fit.model.intercept + shift, coefficients: zip(beta, deviation).map { $0 + $1 }),
                kind: .interaction))
            let positions = rowArm.indices.filter { rowArm[$0] == arm }
            reports.append(.init(
                id: ids[arm], rows: positions.count, positives: positions.count { data.outcomes[keptRows[$0]] == 1 },
                kind: .interaction, fallbackReason: nil, converged: fit.report.converged,
                iterations: fit.report.iterations, gradientNorm: fit.report.gradientNorm, notes: notes(fit.report)))
        }
        let model = try UpliftModel(featureNames: data.featureNames, actionIDs: data.actionIDs, arms: arms)
        return UpliftFit(model: model, report: .init(arms: reports, skippedRows: skipped, weighted: weighted))
    }

    static func validate(_ data: UpliftTrainingData) throws {
        let n = data.features.rows
        var problems: [String] = []
        var firstRow: Int?
        if data.featureNames.count != data.features.columns {
            problems.append("featureNames has \(data.featureNames.count) names but features has \(data.features.columns) columns")
        }
        if data.loggedActions.count != n { problems.append("loggedActions has \(data.loggedActions.count) elements but features has \(n) rows") }
        if data.outcomes.count != n { problems.append("outcomes has \(data.outcomes.count) elements but features has \(n) rows") }
        if let p = data.propensities, p.count != n { problems.append("propensities has \(p.count) elements but features has \(n) rows") }
        if Set(data.actionIDs).count != data.actionIDs.count { problems.append("actionIDs has duplicates") }
        if data.actionIDs.contains(ActionCatalog.noActionID) || data.actionIDs.contains("") {
            problems.append("actionIDs must not contain 'none' or the empty id: no action is the implicit baseline")
        }
        if let i = data.outcomes.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            problems.append("outcomes[\(i)] is \(data.outcomes[i]); outcomes must be 0 or 1")
            firstRow = firstRow ?? i
        }
        if let index = data.features.columnMajor.firstIndex(where: { !$0.isFinite }) {
            let (i, j) = (index % max(n, 1), index / max(n, 1))
            problems.append("features[\(i), \(j)] is \(data.features.columnMajor[index]); features must be finite")
            firstRow = firstRow ?? i
        }
        if !problems.isEmpty {
            throw DecisioningError(.invalidInput, problems.joined(separator: "; "), row: firstRow)
        }
        if let p = data.propensities, let i = p.firstIndex(where: { !($0 > 0 && $0 <= 1) }) {
            let count = p.count { !($0 > 0 && $0 <= 1) }
            throw DecisioningError(
                .invalidPropensity,
                "propensities[\(i)] is \(p[i]); a logged propensity must be in (0, 1] (\(count) invalid in all)", row: i)
        }
    }

    static func logistic(
        _ x: Matrix, labels: [Double], weights: [Double], _ configuration: Configuration
    ) throws -> LogisticFit {
        do {
            return try LogisticRegression.fit(
                x, labels: labels,
                configuration: .init(l2Penalty: configuration.l2Penalty, sampleWeights: weights, tolerance: configuration.tolerance))
        } catch {
            throw DecisioningError(.numericalFailure, "an uplift arm's logistic fit failed: \(error)", cause: error)
        }
    }

    static func notes(_ report: LogisticFitReport) -> [String] {
        report.notes + (report.separationMessage.map { [$0] } ?? [])
    }

    /// Weights rescaled to average 1.
    static func normalized(_ weights: [Double]) -> [Double] {
        let mean = weights.reduce(0, +) / Double(max(weights.count, 1))
        return weights.map { $0 / mean }
    }

    /// The rows `rows` of `x`, in that order.
    static func subMatrix(_ x: Matrix, rows: [Int]) -> Matrix {
        var out: [Double] = []
        out.reserveCapacity(rows.count * x.columns)
        x.withUnsafeBufferPointer { buffer in
            for j in 0..<x.columns {
                let base = j * x.rows
                for i in rows { out.append(buffer[base + i]) }
            }
        }
        // The count matches by construction.
        return (try? Matrix(rows: rows.count, columns: x.columns, columnMajor: out)) ?? Matrix(rows: 0, columns: 0, repeating: 0)
    }
}
