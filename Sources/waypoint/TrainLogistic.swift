import ArgumentParser
import Foundation
import Linalg
import Logistic

struct TrainLogistic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logistic",
        abstract: "Fit a binary or multinomial logistic regression on a CSV table.",
        discussion: """
            Reads a CSV table (a header line, then one row per observation; ',' separated, fields may be \
            quoted with '"' as in RFC 4180, "" inside quotes is a quote).
              - --label names the outcome column. Binary: 0/1, true/false or yes/no (case-insensitive; true and \
            yes mean 1, false and no mean 0). Multinomial: more than two distinct values that are not \
            true/false/yes/no (such as 0/1/2 or email/web/app); the classes are the sorted values (numerically \
            when all are numbers) and the model is softmax regression with one coefficient vector per class.
              - --weights names an optional column of non-negative row weights.
              - Every other column is a feature. A column whose non-empty fields all parse as finite numbers is \
            numeric and used as it is; an empty field in a numeric column is an error (impute it first).
              - Any other column is text and is one-hot encoded: one 0/1 indicator column per level, named \
            'column=level', except the first level in sorted order, which is the baseline (all indicators 0).
            --l2 is the penalty strength λ on the coefficients (never on the intercept); with --l1-ratio r the \
            penalty is λ(r‖β‖₁ + (1−r)/2‖β‖²), scikit-learn's LogisticRegression(C=1/λ, l1_ratio=r). The default \
            λ = 1, r = 0 is scikit-learn's default C = 1; --l2 0 fits the unpenalized maximum-likelihood model and \
            reports Wald standard errors, z scores and p-values (binary only).
            --solver auto uses Newton (BLAS Hessian, Cholesky) for binary L2 fits with at most 500 features, and \
            L-BFGS (OWL-QN when r > 0) otherwise.
            --class-weight balanced weighs each row of class c by n / (K·n_c), as scikit-learn's \
            class_weight='balanced', on top of --weights.
            --cv K chooses λ from --l2-grid (and r from --l1-ratio-grid) by stratified K-fold cross-validation \
            scored by held-out log-loss, prints the grid, and fits the chosen penalty on all rows.
            --standardize centers and scales each numeric column (not the one-hot indicators) by its mean and \
            population standard deviation before fitting; the coefficients reported and saved are then on the \
            standardized scale (the change in log-odds per standard deviation).

            Examples:
              waypoint train logistic --table customers.csv --label churned
              waypoint train logistic --table customers.csv --label churned --l2 0 --standardize --format json
              waypoint train logistic --table customers.csv --label churned --weights w --out models/churn.json
              waypoint train logistic --table customers.csv --label churned --l2 0.1 --l1-ratio 0.5
              waypoint train logistic --table customers.csv --label churned --cv 5 --l2-grid 0.01,0.1,1,10,100
              waypoint train logistic --table journeys.csv --label next_channel --class-weight balanced
            """
    )

    enum OutputFormat: String, ExpressibleByArgument { case table, json }

    @Option(help: "The CSV table to fit on (header line first).")
    var table: String

    @Option(help: "The outcome column: 0/1, true/false or yes/no; more than two classes fit a multinomial model.")
    var label: String

    @Option(help: "Penalty strength λ on the coefficients (not the intercept); 0 = unpenalized, with standard errors.")
    var l2: Double = 1

    @Option(help: "Elastic-net mix r in [0, 1]: the penalty is λ(r‖β‖₁ + (1−r)/2‖β‖²) (scikit-learn's l1_ratio).")
    var l1Ratio: Double = 0

    @Option(help: "Class weights: 'balanced' weighs class c by n / (K·n_c).")
    var classWeight: LogisticRegression.ClassWeight?

    @Option(help: "Solver: auto, newton, lbfgs (owlqn is lbfgs with L1).")
    var solver: LogisticRegression.Solver = .auto

    @Option(help: "Stop when the largest gradient component (summed over rows) is at most this.")
    var tolerance: Double = 1e-10

    @Option(help: "Choose λ (and r) by stratified K-fold cross-validation on held-out log-loss.")
    var cv: Int?

    @Option(help: "Comma-separated penalties λ for --cv.")
    var l2Grid: String = "0.001,0.01,0.1,1,10,100"

    @Option(help: "Comma-separated L1 ratios r for --cv.")
    var l1RatioGrid: String?

    @Option(help: "Seed of the cross-validation fold shuffle.")
    var seed: UInt64 = 0

    @Option(help: "A column of non-negative row weights.")
    var weights: String?

    @Flag(help: "Center and scale numeric columns by mean and population sd; coefficients are then on the standardized scale.")
    var standardize = false

    @Flag(help: "Fit without an intercept.")
    var noIntercept = false

    @Flag(help: "Print read and fit times, the peak memory of the fit and, for Newton, the Hessian build rate against a dgemm ceiling measured after the fit, to standard error.")
    var timings = false

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @Option(help: "Also write the model and its column names here (JSON, written atomically).")
    var out: String?

    func validate() throws {
        var problems: [String] = []
        if !(l2.isFinite && l2 >= 0) { problems.append("--l2 must be a finite number ≥ 0, got \(l2)") }
        if !(l1Ratio >= 0 && l1Ratio <= 1) { problems.append("--l1-ratio must be in [0, 1], got \(l1Ratio)") }
        if !(tolerance > 0 && tolerance.isFinite) { problems.append("--tolerance must be > 0, got \(tolerance)") }
        if solver == .newton && l1Ratio > 0 && l2 > 0 {
            problems.append("--solver newton cannot fit an L1 term (--l1-ratio \(l1Ratio)); use auto or lbfgs")
        }
        if let cv {
            if cv < 2 { problems.append("--cv must be at least 2 folds, got \(cv)") }
            do {
                let grid = try Self.parseGrid(l2Grid, option: "--l2-grid")
                if let bad = grid.first(where: { !($0 >= 0 && $0.isFinite) }) {
                    problems.append("--l2-grid values must be finite and ≥ 0, got \(bad)")
                }
                if let l1RatioGrid {
                    let ratios = try Self.parseGrid(l1RatioGrid, option: "--l1-ratio-grid")
                    if let bad = ratios.first(where: { !($0 >= 0 && $0 <= 1) }) {
                        problems.append("--l1-ratio-grid values must be in [0, 1], got \(bad)")
                    }
                }
            } catch let error as ValidationError {
                problems.append(error.message)
            }
        } else if l1RatioGrid != nil {
            problems.append("--l1-ratio-grid needs --cv K")
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "; ")) }
    }

    static func parseGrid(_ text: String, option: String) throws -> [Double] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { throw ValidationError("\(option) is empty; give comma-separated numbers") }
        return try parts.map { part in
            guard let value = Double(part) else {
                throw ValidationError("\(option): '\(part)' is not a number; give comma-separated numbers like 0.1,1,10")
            }
            return value
        }
    }

    func run() throws {
        let readStart = Date()
        var design = try LogisticDesign.load(
            path: table, label: label, weights: weights, standardize: standardize)
        let outcome = try design.outcome(path: table, label: label)
        design.rawLabels = []
        design.labelLines = []
        let readSeconds = Date().timeIntervalSince(readStart)
        let x: Matrix
        do {
            x = try Matrix(rows: design.rowCount, columns: design.names.count, columnMajor: design.columnMajor)
        } catch {
            throw CLIFailure("\(table): cannot build the design matrix: \(error)")
        }
        design.columnMajor = []  // x holds the only reference: nothing is copied.
        let configuration = LogisticRegression.Configuration(
            l2Penalty: l2, fitIntercept: !noIntercept, sampleWeights: design.weights, tolerance: tolerance,
            l1Ratio: l1Ratio, classWeight: classWeight, solver: solver)
        let memoryReset = timings && resetPeakResidentMemory()
        let fitStart = Date()
        var hessian = (seconds: 0.0, builds: 0)
        do {
            switch outcome {
            case .binary(let labels):
                hessian = try runBinary(x, labels: labels, design: design, configuration: configuration)
            case .multinomial(let classes, let names):
                try runMultinomial(x, classes: classes, names: names, design: design, configuration: configuration)
            }
        } catch let error as LogisticError {
            throw CLIFailure("\(table): \(error.message)")
        }
        if timings {
            let fitSeconds = Date().timeIntervalSince(fitStart)
            let matrixBytes = x.rows * x.columns * MemoryLayout<Double>.size
            let peak = currentPeakResidentBytes() ?? peakResidentBytes()
            printError(
                String(
                    format: "timings: read %.3f s, fit %.3f s; design matrix %@ (%d×%d); peak resident %@ %@ "
                        + "(%.2f× the design matrix)",
                    readSeconds, fitSeconds, formatBytes(matrixBytes), x.rows, x.columns, formatBytes(peak),
                    memoryReset ? "during the fit" : "over the whole run", Double(peak) / Double(max(matrixBytes, 1))))
            if hessian.builds > 0 {
                // Each Hessian is one syrk of n×k (k = columns + intercept): n·k·(k + 1) flops.
                let k = Double(x.columns + (noIntercept ? 0 : 1))
                let flops = Double(hessian.builds) * Double(x.rows) * k * (k + 1)
                let ceiling = dgemmCeiling()
                let shape = syrkBlockCeiling(columns: Int(k))
                let rate = flops / hessian.seconds / 1e9
                printError(
                    String(
                        format: "hessian: %d builds, %.3f s, %.1f GFLOP/s (row scaling included); dgemm ceiling "
                            + "(n = 2000, %d BLAS threads, best of 3) %.1f GFLOP/s: %.0f%%; dsyrk of a cached 512×%d "
                            + "block on each of %d cores %.1f GFLOP/s: %.0f%%",
                        hessian.builds, hessian.seconds, rate, BLASThreads.count, ceiling, 100 * rate / ceiling,
                        Int(k), shape.cores, shape.rate, 100 * rate / shape.rate))
            }
        }
    }

    /// The rate, in GFLOP/s, of the Hessian's own BLAS kernel with nothing else in the way: a single-threaded
    /// `dsyrk` adding a 512×`columns` block that stays in cache, run on every core at once (as the Hessian
    /// build runs it), best of three. The Hessian build is this plus reading `X` and scaling its rows.
    func syrkBlockCeiling(columns: Int) -> (rate: Double, cores: Int) {
        let cores = BLASThreads.count
        let rows = 512
        let calls = max(1, Int(2e9 / Double(rows * columns * (columns + 1))))
        let previous = BLASThreads.count
        BLASThreads.count = 1
        defer { BLASThreads.count = previous }
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            DispatchQueue.concurrentPerform(iterations: cores) { core in
                let block = Matrix(rows: rows, columns: columns, repeating: 1 / Double(core + 2))
                var gram = Matrix(rows: columns, columns: columns, repeating: 0)
                for _ in 0..<calls { _ = try? syrk(block, into: &gram, transposeA: true, beta: 1) }
            }
            best = min(best, Date().timeIntervalSince(start))
        }
        return (Double(cores * calls) * Double(rows * columns * (columns + 1)) / best / 1e9, cores)
    }

    /// The best of three `dgemm` rates at n = 2000, in GFLOP/s: the ceiling BLAS-bound kernels are held to.
    func dgemmCeiling() -> Double {
        let n = 2000
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        guard let a = try? Matrix(rows: n, columns: n, columnMajor: (0..<(n * n)).map { _ in next() }),
            let b = try? Matrix(rows: n, columns: n, columnMajor: (0..<(n * n)).map { _ in next() })
        else { return .nan }
        var c = Matrix(rows: n, columns: n, repeating: 0)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            guard (try? gemm(a, b, into: &c)) != nil else { return .nan }
            best = min(best, Date().timeIntervalSince(start))
        }
        return 2 * Double(n * n * n) / best / 1e9
    }

    /// Fits (or cross-validates) a binary model and prints it.
    /// - Returns: the seconds spent building Hessians and how many were built (0 for cross-validation).
    func runBinary(
        _ x: Matrix, labels: [Double], design: LogisticDesign, configuration: LogisticRegression.Configuration
    ) throws -> (seconds: Double, builds: Int) {
        var fit: LogisticFit
        var hessian = (seconds: 0.0, builds: 0)
        var cvObject: JSONValue?
        var chosen = (l2: l2, r: l1Ratio)
        if let cv {
            let result = try LogisticRegression.crossValidate(
                x, labels: labels, configuration: configuration, folds: cv, l2Grid: try Self.parseGrid(l2Grid, option: "--l2-grid"),
                l1RatioGrid: try l1RatioGrid.map { try Self.parseGrid($0, option: "--l1-ratio-grid") } ?? [l1Ratio],
                seed: seed)
            fit = result.fit
            chosen = (result.best.l2Penalty, result.best.l1Ratio)
            cvObject = cvReport(result.table, best: result.bestIndex, folds: cv)
        } else {
            let profiled = try LogisticRegression.profiledFit(x, labels: labels, configuration: configuration)
            fit = profiled.fit
            hessian = (profiled.hessianSeconds, profiled.hessianBuilds)
        }
        var notes = fit.report.notes
        if let separation = fit.report.separationMessage, !notes.contains(separation) { notes.append(separation) }
        notes += standardizationNotes(design)

        if let out {
            var saved = SavedLogisticModel(
                label: label, columns: design.names, model: fit.model, standardized: standardize,
                means: standardize ? design.means : nil, standardDeviations: standardize ? design.sds : nil)
            saved.l2Penalty = chosen.l2
            saved.l1Ratio = chosen.r
            try write(saved, to: out)
        }

        let model = fit.model
        let report = fit.report
        switch format {
        case .json:
            var object: [String: JSONValue] = [
                "intercept": .number(model.intercept),
                "coefficients": .object(
                    Dictionary(uniqueKeysWithValues: zip(design.names, model.coefficients.map(JSONValue.number)))),
                "iterations": .integer(report.iterations),
                "converged": .bool(report.converged),
                "gradient_norm": .number(report.gradientNorm),
                "log_likelihood": .number(report.logLikelihood),
                "objective": .number(report.objective),
                "solver": .string(report.solver.rawValue),
                "l2": .number(chosen.l2),
                "l1_ratio": .number(chosen.r),
                "notes": .array(notes.map(JSONValue.string)),
            ]
            if let inference = report.inference {
                var errors: [String: JSONValue] = [:]
                if let intercept = inference.intercept { errors["(intercept)"] = .number(intercept.standardError) }
                for (name, c) in zip(design.names, inference.coefficients) { errors[name] = .number(c.standardError) }
                object["standard_errors"] = .object(errors)
            }
            if let cvObject { object["cross_validation"] = cvObject }
            print(JSONValue.object(object).rendered())
        case .table:
            if let cvObject { printCrossValidation(cvObject) }
            var rows: [[String]] = [["name", "coefficient", "std. error", "z", "p"]]
            let inference = report.inference
            if !noIntercept {
                let c = inference?.intercept
                rows.append(
                    ["(intercept)", Self.format(model.intercept), c.map { Self.format($0.standardError) } ?? "-",
                     c.map { Self.format($0.z) } ?? "-", c.map { Self.format($0.pValue) } ?? "-"])
            }
            for (j, name) in design.names.enumerated() {
                let c = inference.map { $0.coefficients[j] }
                rows.append(
                    [name, Self.format(model.coefficients[j]), c.map { Self.format($0.standardError) } ?? "-",
                     c.map { Self.format($0.z) } ?? "-", c.map { Self.format($0.pValue) } ?? "-"])
            }
            Self.printTable(rows)
            print()
            print(summary(rows: x.rows, report: report, chosen: chosen))
            if inference == nil && chosen.l2 != 0 {
                print("standard errors are only reported for the unpenalized fit (--l2 0)")
            }
            for note in notes { print("note: \(note)") }
        }
        return hessian
    }

    /// Fits (or cross-validates) a multinomial model and prints it.
    func runMultinomial(
        _ x: Matrix, classes: [Int], names classNames: [String], design: LogisticDesign,
        configuration: LogisticRegression.Configuration
    ) throws {
        var fit: MultinomialLogisticFit
        var cvObject: JSONValue?
        var chosen = (l2: l2, r: l1Ratio)
        if let cv {
            let result = try MultinomialLogisticRegression.crossValidate(
                x, classes: classes, classCount: classNames.count, configuration: configuration, folds: cv,
                l2Grid: try Self.parseGrid(l2Grid, option: "--l2-grid"),
                l1RatioGrid: try l1RatioGrid.map { try Self.parseGrid($0, option: "--l1-ratio-grid") } ?? [l1Ratio],
                seed: seed)
            fit = result.fit
            chosen = (result.best.l2Penalty, result.best.l1Ratio)
            cvObject = cvReport(result.table, best: result.bestIndex, folds: cv)
        } else {
            fit = try MultinomialLogisticRegression.fit(
                x, classes: classes, classCount: classNames.count, configuration: configuration)
        }
        var notes = fit.report.notes
        if let separation = fit.report.separationMessage, !notes.contains(separation) { notes.append(separation) }
        if chosen.l2 == 0 {
            notes.append("standard errors are not reported for multinomial models")
        }
        notes += standardizationNotes(design)
        let model = fit.model
        if let out {
            try write(
                SavedMultinomialLogisticModel(
                    label: label, classes: classNames, columns: design.names, model: model, standardized: standardize,
                    means: standardize ? design.means : nil, standardDeviations: standardize ? design.sds : nil,
                    l2Penalty: chosen.l2, l1Ratio: chosen.r),
                to: out)
        }
        let report = fit.report
        switch format {
        case .json:
            var object: [String: JSONValue] = [
                "classes": .array(classNames.map(JSONValue.string)),
                "intercepts": .object(
                    Dictionary(uniqueKeysWithValues: zip(classNames, model.intercepts.map(JSONValue.number)))),
                "coefficients": .object(
                    Dictionary(
                        uniqueKeysWithValues: zip(
                            classNames,
                            model.coefficients.map { row in
                                JSONValue.object(
                                    Dictionary(uniqueKeysWithValues: zip(design.names, row.map(JSONValue.number))))
                            }))),
                "iterations": .integer(report.iterations),
                "converged": .bool(report.converged),
                "gradient_norm": .number(report.gradientNorm),
                "log_likelihood": .number(report.logLikelihood),
                "objective": .number(report.objective),
                "solver": .string(report.solver.rawValue),
                "l2": .number(chosen.l2),
                "l1_ratio": .number(chosen.r),
                "notes": .array(notes.map(JSONValue.string)),
            ]
            if let cvObject { object["cross_validation"] = cvObject }
            print(JSONValue.object(object).rendered())
        case .table:
            if let cvObject { printCrossValidation(cvObject) }
            print("classes: \(classNames.joined(separator: ", "))")
            var rows: [[String]] = [["name"] + classNames.map { "class \($0)" }]
            if !noIntercept {
                rows.append(["(intercept)"] + model.intercepts.map(Self.format))
            }
            for (j, name) in design.names.enumerated() {
                rows.append([name] + model.coefficients.map { Self.format($0[j]) })
            }
            Self.printTable(rows)
            print()
            print(summary(rows: x.rows, report: report, chosen: chosen) + ", \(classNames.count) classes")
            for note in notes { print("note: \(note)") }
        }
    }

    func standardizationNotes(_ design: LogisticDesign) -> [String] {
        var notes: [String] = []
        if standardize && !design.numericNames.isEmpty {
            notes.append(
                "coefficients of numeric columns (\(design.numericNames.joined(separator: ", "))) are on the "
                    + "standardized scale: log-odds per population standard deviation")
        }
        return notes + design.notes
    }

    func summary(rows: Int, report: LogisticFitReport, chosen: (l2: Double, r: Double)) -> String {
        "\(rows) rows, l2 \(chosen.l2)" + (chosen.r > 0 ? ", l1 ratio \(chosen.r)" : "")
            + ", solver \(report.solver.rawValue), \(report.iterations) iterations, "
            + "\(report.converged ? "converged" : "NOT converged"), "
            + "\(report.solver == .owlqn ? "optimality violation" : "gradient norm") \(Self.format(report.gradientNorm)), "
            + "log-likelihood \(Self.format(report.logLikelihood))"
    }

    func cvReport(_ table: [LogisticCrossValidationRow], best: Int, folds: Int) -> JSONValue {
        .object([
            "folds": .integer(folds),
            "seed": .string(String(seed)),
            "best": .integer(best),
            "table": .array(
                table.map { row in
                    .object([
                        "l2": .number(row.l2Penalty), "l1_ratio": .number(row.l1Ratio),
                        "mean_log_loss": .number(row.meanLogLoss), "standard_error": .number(row.standardError),
                        "converged_folds": .integer(row.convergedFolds),
                    ])
                }),
        ])
    }

    func printCrossValidation(_ report: JSONValue) {
        guard case .object(let object) = report, case .array(let table)? = object["table"],
            case .integer(let best)? = object["best"], case .integer(let folds)? = object["folds"]
        else { return }
        print("cross-validation: \(folds) stratified folds (seed \(seed)), held-out log-loss")
        var rows: [[String]] = [["l2", "l1 ratio", "log-loss", "std. error", "converged", ""]]
        for (index, entry) in table.enumerated() {
            guard case .object(let row) = entry else { continue }
            func value(_ key: String) -> String {
                switch row[key] {
                case .number(let v)?: return Self.format(v)
                case .integer(let v)?: return "\(v)/\(folds)"
                default: return "-"
                }
            }
            rows.append(
                [value("l2"), value("l1_ratio"), value("mean_log_loss"), value("standard_error"),
                 value("converged_folds"), index == best ? "← chosen" : ""])
        }
        Self.printTable(rows)
        print()
    }

    func write<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(value).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIFailure("cannot write the model to \(path): \(error.localizedDescription)")
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.6g", value) }

    static func printTable(_ rows: [[String]]) {
        guard let columns = rows.first?.count else { return }
        let widths = (0..<columns).map { k in rows.map { $0[k].count }.max() ?? 0 }
        for row in rows {
            let first = row[0] + String(repeating: " ", count: widths[0] - row[0].count)
            let line = ([first] + (1..<columns).map { row[$0].leftPadded(widths[$0]) }).joined(separator: "  ")
            print(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
    }
}

extension LogisticRegression.Solver: ExpressibleByArgument {}
extension LogisticRegression.ClassWeight: ExpressibleByArgument {}

/// Resets this process's peak resident memory (`VmHWM`) by writing 5 to `/proc/self/clear_refs` (Linux ≥ 4.0).
func resetPeakResidentMemory() -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    do {
        try handle.write(contentsOf: Data("5".utf8))
        return true
    } catch {
        return false
    }
}

/// `VmHWM` from `/proc/self/status` in bytes: the peak resident memory since the last reset.
func currentPeakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kilobytes = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    else { return nil }
    return kilobytes * 1024
}

/// What `--out` writes for a binary model: the model plus what is needed to build its feature rows.
struct SavedLogisticModel: Codable {
    var label: String
    /// Feature names, in the order of `model.coefficients` (one-hot columns are `column=level`).
    var columns: [String]
    var model: LogisticModel
    /// Whether numeric columns were standardized; `means` and `standardDeviations` are then set.
    var standardized: Bool
    var means: [String: Double]?
    var standardDeviations: [String: Double]?
    /// The penalty fitted (chosen by cross-validation with `--cv`).
    var l2Penalty: Double?
    var l1Ratio: Double?
}

/// What `--out` writes for a multinomial model.
struct SavedMultinomialLogisticModel: Codable {
    var label: String
    /// Class names, in the order of `model.intercepts`.
    var classes: [String]
    var columns: [String]
    var model: MultinomialLogisticModel
    var standardized: Bool
    var means: [String: Double]?
    var standardDeviations: [String: Double]?
    var l2Penalty: Double
    var l1Ratio: Double
}

/// A feature matrix built from a CSV table.
struct LogisticDesign {
    /// The outcome: 0/1 labels, or class indices with their names.
    enum Outcome {
        case binary([Double])
        case multinomial(classes: [Int], names: [String])
    }

    var names: [String] = []
    var numericNames: [String] = []
    var columnMajor: [Double] = []
    var rowCount = 0
    /// The label field of every row (trimmed) and the line it is on.
    var rawLabels: [String] = []
    var labelLines: [Int] = []
    var weights: [Double]?
    var means: [String: Double] = [:]
    var sds: [String: Double] = [:]
    var notes: [String] = []

    /// More distinct labels than this is refused: the fit would hold an n×K matrix of scores.
    static let maxClasses = 1000

    /// Binary when every label is 0/1/true/false/yes/no; multinomial when there are more than two distinct
    /// labels and none is true/false/yes/no; otherwise an error naming the first line with a bad label.
    func outcome(path: String, label: String) throws -> Outcome {
        func binaryValue(_ raw: String) -> Double? {
            switch raw.lowercased() {
            case "1", "true", "yes": return 1
            case "0", "false", "no": return 0
            default:
                if let number = Double(raw), number == 0 || number == 1 { return number }
                return nil
            }
        }
        if let i = rawLabels.firstIndex(where: \.isEmpty) {
            throw CLIFailure("\(path):\(labelLines[i]): label '\(label)' is empty; every row needs a label")
        }
        let distinct = Set(rawLabels)
        let words: Set<String> = ["true", "false", "yes", "no"]
        let usesWords = distinct.contains { words.contains($0.lowercased()) }
        if distinct.count > 2 && !usesWords {
            guard distinct.count <= Self.maxClasses else {
                throw CLIFailure(
                    "\(path): label '\(label)' has \(distinct.count) distinct values; a multinomial model takes at most "
                        + "\(Self.maxClasses) classes (is '\(label)' an identifier?)")
            }
            let numeric = distinct.allSatisfy { Double($0)?.isFinite == true }
            let names = distinct.sorted { numeric ? Double($0)! < Double($1)! : $0 < $1 }
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
            return .multinomial(classes: rawLabels.map { index[$0]! }, names: names)
        }
        var labels: [Double] = []
        labels.reserveCapacity(rawLabels.count)
        for (i, raw) in rawLabels.enumerated() {
            guard let value = binaryValue(raw) else {
                throw CLIFailure(
                    "\(path):\(labelLines[i]): label '\(label)' is '\(raw)'; labels must be 0/1, true/false or yes/no "
                        + "(or more than two classes for a multinomial model)")
            }
            labels.append(value)
        }
        return .binary(labels)
    }

    static func load(path: String, label: String, weights weightColumn: String?, standardize: Bool) throws
        -> LogisticDesign
    {
        guard var bytes = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else {
            throw CLIFailure("cannot read the table \(path): no such file or it is not readable")
        }
        if !bytes.contains(UInt8(ascii: "\"")) {
            bytes.append(0)  // strtod stops at it
            return try NumericCSV.load(
                bytes: bytes, path: path, label: label, weights: weightColumn, standardize: standardize)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIFailure("cannot read the table \(path): it is not UTF-8")
        }
        bytes = []
        let records = try CSVTable.parse(text, path: path)
        guard let header = records.first else { throw CLIFailure("\(path) is empty; it needs a header line") }
        let columns = header.fields
        let (labelIndex, weightIndex) = try locate(columns, path: path, label: label, weights: weightColumn)
        let rows = Array(records.dropFirst())
        guard !rows.isEmpty else { throw CLIFailure("\(path) has a header but no rows") }
        for row in rows where row.fields.count != columns.count {
            throw CLIFailure(
                "\(path):\(row.line): has \(row.fields.count) fields but the header has \(columns.count)")
        }

        var design = LogisticDesign()
        design.rowCount = rows.count
        design.rawLabels = rows.map { $0.fields[labelIndex].trimmingCharacters(in: .whitespaces) }
        design.labelLines = rows.map(\.line)
        if let weightIndex {
            design.weights = try rows.map { row in
                let raw = row.fields[weightIndex].trimmingCharacters(in: .whitespaces)
                guard let w = Double(raw), w.isFinite, w >= 0 else {
                    throw CLIFailure(
                        "\(path):\(row.line): weight '\(columns[weightIndex])' is '\(raw)'; weights must be "
                            + "non-negative numbers")
                }
                return w
            }
        }

        let n = rows.count
        for (j, name) in columns.enumerated() where j != labelIndex && j != weightIndex {
            let fields = rows.map { $0.fields[j].trimmingCharacters(in: .whitespaces) }
            let parsed = fields.map { $0.isEmpty ? nil : Double($0).flatMap { $0.isFinite ? $0 : nil } }
            let isNumeric = zip(fields, parsed).allSatisfy { $0.0.isEmpty || $0.1 != nil }
                && fields.contains(where: { !$0.isEmpty })
            if isNumeric {
                var values: [Double] = []
                values.reserveCapacity(n)
                for (i, value) in parsed.enumerated() {
                    guard let value else {
                        throw CLIFailure(
                            "\(path):\(rows[i].line):\(j + 1): empty value in numeric column '\(name)'; "
                                + "fill in or drop missing values first")
                    }
                    values.append(value)
                }
                design.appendNumeric(name, values, standardize: standardize)
            } else {
                design.appendText(name, rows.map { $0.fields[j] })
            }
        }
        return design
    }

    /// The label and weight columns' indices, or an error listing the header.
    static func locate(_ columns: [String], path: String, label: String, weights weightColumn: String?) throws
        -> (label: Int, weights: Int?)
    {
        let listed = columns.map { "'\($0)'" }.joined(separator: ", ")
        guard let labelIndex = columns.firstIndex(of: label) else {
            throw CLIFailure("\(path) has no label column '\(label)'; its header has \(listed)")
        }
        var weightIndex: Int?
        if let weightColumn {
            guard let index = columns.firstIndex(of: weightColumn) else {
                throw CLIFailure("\(path) has no weights column '\(weightColumn)'; its header has \(listed)")
            }
            guard index != labelIndex else { throw CLIFailure("--weights and --label name the same column") }
            weightIndex = index
        }
        if let duplicate = columns.enumerated().first(where: { columns.firstIndex(of: $0.element) != $0.offset }) {
            throw CLIFailure("\(path): column '\(duplicate.element)' appears twice in the header")
        }
        return (labelIndex, weightIndex)
    }

    /// Appends a numeric feature column, standardized if asked.
    mutating func appendNumeric(_ name: String, _ column: [Double], standardize: Bool) {
        var values = column
        if standardize { standardizeColumn(name, &values[...]) }
        names.append(name)
        numericNames.append(name)
        columnMajor += values
    }

    /// Centers and scales `values` in place by mean and population standard deviation, recording both.
    mutating func standardizeColumn(_ name: String, _ values: inout ArraySlice<Double>) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        means[name] = mean
        sds[name] = sd
        for i in values.indices {
            values[i] = sd > 0 ? (values[i] - mean) / sd : values[i] - mean
        }
        if !(sd > 0) {
            notes.append("column '\(name)' is constant; it was centered but not scaled")
        }
    }

    /// Appends the one-hot indicators of a text column (all levels but the first in sorted order).
    mutating func appendText(_ name: String, _ fields: [String]) {
        let levels = Array(Set(fields)).sorted()
        for level in levels.dropFirst() {
            names.append("\(name)=\(level)")
            columnMajor += fields.map { $0 == level ? 1 : 0 }
        }
        if levels.count == 1 {
            notes.append("text column '\(name)' has one level ('\(levels[0])'); it adds no feature")
        }
    }
}

/// A fast reader for tables without quotes (the common numeric case): one pass over the bytes parses every
/// field with `strtod` straight into a column-major buffer sized from the row count, which then becomes the
/// design matrix without a copy. Text columns are re-read as strings in a second pass.
enum NumericCSV {
    /// Calls `body(line, fieldStarts, lineEnd)` for every non-blank line after the header.
    static func forEachRow(
        _ p: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int, [Int], Int) throws -> Void
    ) rethrows {
        let end = p.count - 1  // the trailing 0
        var position = start
        var line = 2
        var starts: [Int] = []
        while position < end {
            var stop = position
            while stop < end && p[stop] != UInt8(ascii: "\n") { stop += 1 }
            var lineEnd = stop
            if lineEnd > position && p[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            if lineEnd > position {
                starts.removeAll(keepingCapacity: true)
                starts.append(position)
                for index in position..<lineEnd where p[index] == UInt8(ascii: ",") {
                    starts.append(index + 1)
                }
                try body(line, starts, lineEnd)
            }
            line += 1
            position = stop + 1
        }
    }

    static func load(bytes: [UInt8], path: String, label: String, weights weightColumn: String?, standardize: Bool)
        throws -> LogisticDesign
    {
        try bytes.withUnsafeBufferPointer { p in
            var headerStart = 0
            if p.count >= 4 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { headerStart = 3 }
            var headerEnd = headerStart
            while headerEnd < p.count - 1 && p[headerEnd] != UInt8(ascii: "\n") { headerEnd += 1 }
            let headerText = String(decoding: UnsafeBufferPointer(rebasing: p[headerStart..<headerEnd]), as: UTF8.self)
            let header = headerText.hasSuffix("\r") ? String(headerText.dropLast()) : headerText
            guard !header.isEmpty else { throw CLIFailure("\(path) is empty; it needs a header line") }
            let columns = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let (labelIndex, weightIndex) = try LogisticDesign.locate(
                columns, path: path, label: label, weights: weightColumn)
            let bodyStart = min(headerEnd + 1, p.count - 1)

            var n = 0
            forEachRow(p, from: bodyStart) { _, _, _ in n += 1 }
            guard n > 0 else { throw CLIFailure("\(path) has a header but no rows") }
            let c = columns.count
            var buffer = [Double](repeating: 0, count: n * c)
            var isText = [Bool](repeating: false, count: c)
            var firstEmpty = [Int?](repeating: nil, count: c)
            var hasValue = [Bool](repeating: false, count: c)
            var design = LogisticDesign()
            design.rowCount = n
            design.rawLabels.reserveCapacity(n)
            design.labelLines.reserveCapacity(n)
            var row = 0
            try buffer.withUnsafeMutableBufferPointer { values in
                try forEachRow(p, from: bodyStart) { line, starts, lineEnd in
                    guard starts.count == c else {
                        throw CLIFailure("\(path):\(line): has \(starts.count) fields but the header has \(c)")
                    }
                    for j in 0..<c {
                        let fieldStart = starts[j]
                        let fieldEnd = j + 1 < c ? starts[j + 1] - 1 : lineEnd
                        if j == labelIndex {
                            let text = String(
                                decoding: UnsafeBufferPointer(rebasing: p[fieldStart..<fieldEnd]), as: UTF8.self)
                            design.rawLabels.append(text.trimmingCharacters(in: .whitespaces))
                            design.labelLines.append(line)
                            continue
                        }
                        var first = fieldStart
                        while first < fieldEnd && (p[first] == 0x20 || p[first] == 0x09) { first += 1 }
                        var last = fieldEnd
                        while last > first && (p[last - 1] == 0x20 || p[last - 1] == 0x09) { last -= 1 }
                        if first == last {
                            if firstEmpty[j] == nil { firstEmpty[j] = line }
                            if j == weightIndex {
                                throw CLIFailure(
                                    "\(path):\(line): weight '\(columns[j])' is ''; weights must be non-negative numbers")
                            }
                            continue
                        }
                        hasValue[j] = true
                        var stop: UnsafeMutablePointer<CChar>?
                        let start = UnsafeRawPointer(p.baseAddress! + first).assumingMemoryBound(to: CChar.self)
                        let value = strtod(start, &stop)
                        let consumed = stop.map { UnsafeRawPointer($0) - UnsafeRawPointer(p.baseAddress!) } ?? first
                        if consumed != last || !value.isFinite {
                            if j == weightIndex {
                                let raw = String(
                                    decoding: UnsafeBufferPointer(rebasing: p[first..<last]), as: UTF8.self)
                                throw CLIFailure(
                                    "\(path):\(line): weight '\(columns[j])' is '\(raw)'; weights must be "
                                        + "non-negative numbers")
                            }
                            isText[j] = true
                        } else {
                            if j == weightIndex && value < 0 {
                                throw CLIFailure(
                                    "\(path):\(line): weight '\(columns[j])' is '\(value)'; weights must be "
                                        + "non-negative numbers")
                            }
                            values[row + j * n] = value
                        }
                    }
                    row += 1
                }
            }

            // A column with no value at all is text with one level, as in the quoted-CSV reader.
            for j in 0..<c where !hasValue[j] { isText[j] = true }
            // Text columns (other than the label): their raw fields, in a second pass.
            let textColumns = (0..<c).filter { isText[$0] && $0 != labelIndex && $0 != weightIndex }
            var strings = [Int: [String]]()
            if !textColumns.isEmpty {
                for j in textColumns { strings[j] = [] }
                forEachRow(p, from: bodyStart) { _, starts, lineEnd in
                    for j in textColumns {
                        let fieldEnd = j + 1 < c ? starts[j + 1] - 1 : lineEnd
                        strings[j]!.append(
                            String(decoding: UnsafeBufferPointer(rebasing: p[starts[j]..<fieldEnd]), as: UTF8.self))
                    }
                }
            }
            if let weightIndex {
                design.weights = Array(buffer[(weightIndex * n)..<((weightIndex + 1) * n)])
            }
            if textColumns.isEmpty {
                // Compact the feature columns to the front of the buffer, in header order: no copy of X.
                var target = 0
                for j in 0..<c where j != labelIndex && j != weightIndex {
                    let name = columns[j]
                    if let line = firstEmpty[j] {
                        throw CLIFailure(
                            "\(path):\(line):\(j + 1): empty value in numeric column '\(name)'; fill in or drop "
                                + "missing values first")
                    }
                    if target != j {
                        buffer.withUnsafeMutableBufferPointer { b in
                            for i in 0..<n { b[i + target * n] = b[i + j * n] }
                        }
                    }
                    if standardize {
                        design.standardizeColumn(name, &buffer[(target * n)..<((target + 1) * n)])
                    }
                    design.names.append(name)
                    design.numericNames.append(name)
                    target += 1
                }
                buffer.removeLast((c - target) * n)
                design.columnMajor = buffer
                return design
            }
            for j in 0..<c where j != labelIndex && j != weightIndex {
                if isText[j] {
                    design.appendText(columns[j], strings[j]!)
                } else {
                    if let line = firstEmpty[j] {
                        throw CLIFailure(
                            "\(path):\(line):\(j + 1): empty value in numeric column '\(columns[j])'; fill in or drop "
                                + "missing values first")
                    }
                    design.appendNumeric(
                        columns[j], Array(buffer[(j * n)..<((j + 1) * n)]), standardize: standardize)
                }
            }
            return design
        }
    }
}

/// A small RFC 4180 reader: ',' separated, '"' quoted fields ("" is a quote inside quotes), quoted fields may
/// span lines, CRLF or LF line ends. Blank lines are skipped.
enum CSVTable {
    struct Record {
        /// The 1-based line the record starts on.
        var line: Int
        var fields: [String]
    }

    static func parse(_ text: String, path: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var wasQuoted = false
        var line = 1
        var recordLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var i = 0

        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !wasQuoted) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
            field = ""
            wasQuoted = false
        }

        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                guard field.isEmpty else {
                    throw CLIFailure("\(path):\(line): a quote inside an unquoted field; quote the whole field")
                }
                inQuotes = true
                wasQuoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                endRecord()
                line += 1
                recordLine = line
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if inQuotes { throw CLIFailure("\(path):\(recordLine): a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return records
    }
}

/// A JSON value printed with sorted keys and doubles in Swift's shortest round-trip form.
enum JSONValue {
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    func rendered(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .number(let value): return value.isFinite ? "\(value)" : "null"
        case .integer(let value): return "\(value)"
        case .bool(let value): return value ? "true" : "false"
        case .string(let value): return Self.quote(value)
        case .array(let values):
            if values.isEmpty { return "[]" }
            return "[\n" + values.map { inner + $0.rendered(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            return "{\n"
                + members.keys.sorted().map { inner + Self.quote($0) + ": " + members[$0]!.rendered(indent: inner) }
                .joined(separator: ",\n") + "\n\(indent)}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
