import ArgumentParser
import Foundation
import Linalg
import Logistic

struct TrainLogistic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logistic",
        abstract: "Fit a binary logistic regression on a CSV table.",
        discussion: """
            Reads a CSV table (a header line, then one row per observation; ',' separated, fields may be \
            quoted with '"' as in RFC 4180, "" inside quotes is a quote).
              - --label names the outcome column. It must hold 0/1, true/false or yes/no (case-insensitive; \
            true and yes mean 1, false and no mean 0).
              - --weights names an optional column of non-negative row weights.
              - Every other column is a feature. A column whose non-empty fields all parse as finite numbers is \
            numeric and used as it is; an empty field in a numeric column is an error (impute it first).
              - Any other column is text and is one-hot encoded: one 0/1 indicator column per level, named \
            'column=level', except the first level in sorted order, which is the baseline (all indicators 0).
            --l2 is the penalty λ on the coefficients (never on the intercept): (λ/2)‖β‖². The default 1 is \
            scikit-learn's C = 1; --l2 0 fits the unpenalized maximum-likelihood model and reports Wald \
            standard errors, z scores and p-values.
            --standardize centers and scales each numeric column (not the one-hot indicators) by its mean and \
            population standard deviation before fitting; the coefficients reported and saved are then on the \
            standardized scale (the change in log-odds per standard deviation).

            Examples:
              waypoint train logistic --table customers.csv --label churned
              waypoint train logistic --table customers.csv --label churned --l2 0 --standardize --format json
              waypoint train logistic --table customers.csv --label churned --weights w --out models/churn.json
            """
    )

    enum OutputFormat: String, ExpressibleByArgument { case table, json }

    @Option(help: "The CSV table to fit on (header line first).")
    var table: String

    @Option(help: "The outcome column: 0/1, true/false or yes/no.")
    var label: String

    @Option(help: "L2 penalty λ on the coefficients (not the intercept); 0 = unpenalized, with standard errors.")
    var l2: Double = 1

    @Option(help: "A column of non-negative row weights.")
    var weights: String?

    @Flag(help: "Center and scale numeric columns by mean and population sd; coefficients are then on the standardized scale.")
    var standardize = false

    @Flag(help: "Fit without an intercept.")
    var noIntercept = false

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @Option(help: "Also write the model and its column names here (JSON, written atomically).")
    var out: String?

    func validate() throws {
        guard l2.isFinite && l2 >= 0 else { throw ValidationError("--l2 must be a finite number ≥ 0, got \(l2)") }
    }

    func run() throws {
        let design = try LogisticDesign.load(
            path: table, label: label, weights: weights, standardize: standardize)
        let x: Matrix
        do {
            x = try Matrix(rows: design.labels.count, columns: design.names.count, columnMajor: design.columnMajor)
        } catch {
            throw CLIFailure("\(table): cannot build the design matrix: \(error)")
        }
        let fit: LogisticFit
        do {
            fit = try LogisticRegression.fit(
                x, labels: design.labels,
                configuration: .init(l2Penalty: l2, fitIntercept: !noIntercept, sampleWeights: design.weights))
        } catch let error as LogisticError {
            throw CLIFailure("\(table): \(error.message)")
        }
        var notes = fit.report.notes
        if let separation = fit.report.separationMessage, !notes.contains(separation) { notes.append(separation) }
        if standardize && !design.numericNames.isEmpty {
            notes.append(
                "coefficients of numeric columns (\(design.numericNames.joined(separator: ", "))) are on the "
                    + "standardized scale: log-odds per population standard deviation")
        }
        notes += design.notes

        if let out {
            let saved = SavedLogisticModel(
                label: label, columns: design.names, model: fit.model, standardized: standardize,
                means: standardize ? design.means : nil, standardDeviations: standardize ? design.sds : nil)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(saved).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw CLIFailure("cannot write the model to \(out): \(error.localizedDescription)")
            }
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
                "notes": .array(notes.map(JSONValue.string)),
            ]
            if let inference = report.inference {
                var errors: [String: JSONValue] = [:]
                if let intercept = inference.intercept { errors["(intercept)"] = .number(intercept.standardError) }
                for (name, c) in zip(design.names, inference.coefficients) { errors[name] = .number(c.standardError) }
                object["standard_errors"] = .object(errors)
            }
            print(JSONValue.object(object).rendered())
        case .table:
            var rows: [[String]] = [["name", "coefficient", "std. error", "z", "p"]]
            func format(_ value: Double) -> String { String(format: "%.6g", value) }
            let inference = report.inference
            if !noIntercept {
                let c = inference?.intercept
                rows.append(
                    ["(intercept)", format(model.intercept), c.map { format($0.standardError) } ?? "-",
                     c.map { format($0.z) } ?? "-", c.map { format($0.pValue) } ?? "-"])
            }
            for (j, name) in design.names.enumerated() {
                let c = inference.map { $0.coefficients[j] }
                rows.append(
                    [name, format(model.coefficients[j]), c.map { format($0.standardError) } ?? "-",
                     c.map { format($0.z) } ?? "-", c.map { format($0.pValue) } ?? "-"])
            }
            let widths = (0..<5).map { k in rows.map { $0[k].count }.max() ?? 0 }
            for row in rows {
                let first = row[0] + String(repeating: " ", count: widths[0] - row[0].count)
                print(([first] + (1..<5).map { row[$0].leftPadded(widths[$0]) }).joined(separator: "  "))
            }
            print()
            print(
                "\(design.labels.count) rows, l2 \(l2), \(report.iterations) iterations, "
                    + "\(report.converged ? "converged" : "NOT converged"), gradient norm \(format(report.gradientNorm)), "
                    + "log-likelihood \(format(report.logLikelihood))")
            if inference == nil && l2 != 0 {
                print("standard errors are only reported for the unpenalized fit (--l2 0)")
            }
            for note in notes { print("note: \(note)") }
        }
    }
}

/// What `--out` writes: the model plus what is needed to build its feature rows.
struct SavedLogisticModel: Codable {
    var label: String
    /// Feature names, in the order of `model.coefficients` (one-hot columns are `column=level`).
    var columns: [String]
    var model: LogisticModel
    /// Whether numeric columns were standardized; `means` and `standardDeviations` are then set.
    var standardized: Bool
    var means: [String: Double]?
    var standardDeviations: [String: Double]?
}

/// A feature matrix built from a CSV table.
struct LogisticDesign {
    var names: [String] = []
    var numericNames: [String] = []
    var columnMajor: [Double] = []
    var labels: [Double] = []
    var weights: [Double]?
    var means: [String: Double] = [:]
    var sds: [String: Double] = [:]
    var notes: [String] = []

    static func load(path: String, label: String, weights weightColumn: String?, standardize: Bool) throws
        -> LogisticDesign
    {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIFailure("cannot read the table \(path): \(error.localizedDescription)")
        }
        let records = try CSVTable.parse(text, path: path)
        guard let header = records.first else { throw CLIFailure("\(path) is empty; it needs a header line") }
        let columns = header.fields
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
        let rows = Array(records.dropFirst())
        guard !rows.isEmpty else { throw CLIFailure("\(path) has a header but no rows") }
        for row in rows where row.fields.count != columns.count {
            throw CLIFailure(
                "\(path):\(row.line): has \(row.fields.count) fields but the header has \(columns.count)")
        }

        var design = LogisticDesign()
        for row in rows {
            let raw = row.fields[labelIndex].trimmingCharacters(in: .whitespaces)
            let value: Double
            switch raw.lowercased() {
            case "1", "true", "yes": value = 1
            case "0", "false", "no": value = 0
            default:
                if let number = Double(raw), number == 0 || number == 1 {
                    value = number
                } else {
                    throw CLIFailure(
                        "\(path):\(row.line): label '\(label)' is '\(raw)'; labels must be 0/1, true/false or yes/no")
                }
            }
            design.labels.append(value)
        }
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
                if standardize {
                    let mean = values.reduce(0, +) / Double(n)
                    let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
                    design.means[name] = mean
                    design.sds[name] = sd
                    if sd > 0 {
                        values = values.map { ($0 - mean) / sd }
                    } else {
                        values = values.map { $0 - mean }
                        design.notes.append("column '\(name)' is constant; it was centered but not scaled")
                    }
                }
                design.names.append(name)
                design.numericNames.append(name)
                design.columnMajor += values
            } else {
                let levels = Array(Set(rows.map { $0.fields[j] })).sorted()
                for level in levels.dropFirst() {
                    design.names.append("\(name)=\(level)")
                    design.columnMajor += rows.map { $0.fields[j] == level ? 1 : 0 }
                }
                if levels.count == 1 {
                    design.notes.append("text column '\(name)' has one level ('\(levels[0])'); it adds no feature")
                }
            }
        }
        return design
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
