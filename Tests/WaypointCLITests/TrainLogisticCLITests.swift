import Foundation
import Testing

/// `waypoint train logistic`: solvers, elastic net, class weights, cross-validation, multinomial, the fast
/// numeric CSV reader. (The original options are tested in `CLITests.swift`'s `TrainLogisticCLITests`.)
@Suite struct TrainLogisticSolverCLITests {
    /// 60 rows, two numeric features and a text column; labels from a seeded rule with noise, 1 in 3 positive.
    static let table: String = {
        var state: UInt64 = 12345
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var lines = ["tenure,visits,plan,churned"]
        for i in 0..<60 {
            let tenure = (uniform() * 40).rounded() / 4
            let visits = Double(Int(uniform() * 12))
            let plan = ["basic", "pro", "team"][i % 3]
            let eta = 1.2 - 0.25 * tenure + 0.15 * visits + (plan == "pro" ? -0.5 : 0)
            let churned = uniform() < 1 / (1 + exp(-eta)) ? 1 : 0
            lines.append("\(tenure),\(visits),\(plan),\(churned)")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try CLI.run(arguments)
        #expect(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
        return try #require(
            JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            sourceLocation: sourceLocation)
    }

    func coefficients(_ object: [String: Any]) throws -> [String: Double] {
        var all = try #require(object["coefficients"] as? [String: Double])
        all["(intercept)"] = try #require(object["intercept"] as? Double)
        return all
    }

    func expectClose(_ a: [String: Double], _ b: [String: Double], _ tolerance: Double,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(a.keys) == Set(b.keys), sourceLocation: sourceLocation)
        for (key, value) in a {
            #expect(abs(value - (b[key] ?? .nan)) <= tolerance, "\(key): \(value) vs \(b[key] ?? .nan)",
                sourceLocation: sourceLocation)
        }
    }

    @Test func lbfgsAndNewtonAgree() throws {
        let path = try CLI.temporaryFile(Self.table)
        let base = ["train", "logistic", "--table", path, "--label", "churned", "--format", "json", "--l2", "0.5"]
        let newton = try json(base + ["--solver", "newton"])
        let lbfgs = try json(base + ["--solver", "lbfgs"])
        let auto = try json(base)
        #expect(newton["solver"] as? String == "newton")
        #expect(lbfgs["solver"] as? String == "lbfgs")
        #expect(auto["solver"] as? String == "newton")
        #expect(lbfgs["converged"] as? Bool == true)
        expectClose(try coefficients(lbfgs), try coefficients(newton), 1e-8)
    }

    @Test func elasticNetZeroesCoefficients() throws {
        let path = try CLI.temporaryFile(Self.table)
        let object = try json(
            ["train", "logistic", "--table", path, "--label", "churned", "--format", "json", "--l2", "20",
             "--l1-ratio", "1"])
        #expect(object["solver"] as? String == "owlqn")
        #expect(object["converged"] as? Bool == true)
        #expect(try #require(object["gradient_norm"] as? Double) <= 1e-10)
        let values = try #require(object["coefficients"] as? [String: Double])
        #expect(values.values.contains(0), "\(values)")
        #expect(values.values.contains { $0 != 0 }, "\(values)")
        let text = try CLI.run(
            ["train", "logistic", "--table", path, "--label", "churned", "--l2", "20", "--l1-ratio", "1"])
        #expect(text.stdout.contains("solver owlqn") && text.stdout.contains("optimality violation"), "\(text.stdout)")
    }

    /// `--class-weight balanced` is the same fit as a weights column holding n / (2·n_c).
    @Test func balancedEqualsHandWeights() throws {
        let rows = Self.table.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        let n = Double(rows.count)
        let positives = Double(rows.count(where: { $0[3] == "1" }))
        var weighted = ["tenure,visits,plan,churned,w"]
        for row in rows {
            let w = row[3] == "1" ? n / (2 * positives) : n / (2 * (n - positives))
            weighted.append(row.joined(separator: ",") + ",\(w)")
        }
        let plain = try CLI.temporaryFile(Self.table)
        let withWeights = try CLI.temporaryFile(weighted.joined(separator: "\n") + "\n")
        let balanced = try json(
            ["train", "logistic", "--table", plain, "--label", "churned", "--format", "json", "--class-weight",
             "balanced"])
        let byHand = try json(
            ["train", "logistic", "--table", withWeights, "--label", "churned", "--format", "json", "--weights", "w"])
        let unweighted = try json(["train", "logistic", "--table", plain, "--label", "churned", "--format", "json"])
        expectClose(try coefficients(balanced), try coefficients(byHand), 1e-12)
        #expect(abs(try coefficients(balanced)["(intercept)"]! - (try coefficients(unweighted)["(intercept)"]!)) > 0.1)
    }

    @Test func crossValidationPrintsTheGridAndRefits() throws {
        let path = try CLI.temporaryFile(Self.table)
        let object = try json(
            ["train", "logistic", "--table", path, "--label", "churned", "--format", "json", "--cv", "3",
             "--l2-grid", "0.01,1,100", "--l1-ratio-grid", "0,0.5", "--seed", "4"])
        let cv = try #require(object["cross_validation"] as? [String: Any])
        let table = try #require(cv["table"] as? [[String: Any]])
        #expect(table.count == 6)
        let best = try #require(cv["best"] as? Int)
        let losses = table.map { $0["mean_log_loss"] as? Double ?? .nan }
        #expect(losses[best] == losses.min())
        #expect(object["l2"] as? Double == table[best]["l2"] as? Double)
        #expect(object["l1_ratio"] as? Double == table[best]["l1_ratio"] as? Double)
        // The refit is the plain fit at the chosen penalty.
        let refit = try json(
            ["train", "logistic", "--table", path, "--label", "churned", "--format", "json",
             "--l2", "\(table[best]["l2"] as! Double)", "--l1-ratio", "\(table[best]["l1_ratio"] as! Double)"])
        expectClose(try coefficients(object), try coefficients(refit), 0)
        let text = try CLI.run(
            ["train", "logistic", "--table", path, "--label", "churned", "--cv", "3", "--l2-grid", "0.01,1,100"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("cross-validation: 3 stratified folds") && text.stdout.contains("← chosen"))
    }

    @Test func moreThanTwoClassesFitMultinomial() throws {
        var lines = ["tenure,visits,next"]
        for (i, row) in Self.table.split(separator: "\n").dropFirst().enumerated() {
            let fields = row.split(separator: ",")
            lines.append("\(fields[0]),\(fields[1]),\(["web", "email", "app"][(i * 7 + Int(Double(fields[1])!)) % 3])")
        }
        let path = try CLI.temporaryFile(lines.joined(separator: "\n") + "\n")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("mn-\(UUID().uuidString).json").path
        let object = try json(
            ["train", "logistic", "--table", path, "--label", "next", "--format", "json", "--out", out])
        #expect(object["classes"] as? [String] == ["app", "email", "web"])
        let intercepts = try #require(object["intercepts"] as? [String: Double])
        #expect(abs(intercepts.values.reduce(0, +)) < 1e-12)
        let perClass = try #require(object["coefficients"] as? [String: [String: Double]])
        #expect(Set(perClass.keys) == ["app", "email", "web"])
        #expect(perClass.values.allSatisfy { Set($0.keys) == ["tenure", "visits"] })
        #expect(object["solver"] as? String == "lbfgs")
        let saved = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect(saved["classes"] as? [String] == ["app", "email", "web"])
        let text = try CLI.run(["train", "logistic", "--table", path, "--label", "next"])
        #expect(text.stdout.contains("classes: app, email, web"), "\(text.stdout)")
        #expect(text.stdout.contains("class email"))
    }

    /// The fast reader (no quotes in the file) and the RFC 4180 reader give the same fit.
    @Test func quotedAndUnquotedTablesAgree() throws {
        let plain = try CLI.temporaryFile(Self.table)
        let quoted = try CLI.temporaryFile(Self.table.replacingOccurrences(of: "basic", with: "\"basic\""))
        let a = try CLI.run(["train", "logistic", "--table", plain, "--label", "churned", "--format", "json"])
        let b = try CLI.run(["train", "logistic", "--table", quoted, "--label", "churned", "--format", "json"])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout == b.stdout)
        let s1 = try CLI.run(["train", "logistic", "--table", plain, "--label", "churned", "--standardize"])
        let s2 = try CLI.run(["train", "logistic", "--table", quoted, "--label", "churned", "--standardize"])
        #expect(s1.stdout == s2.stdout && s1.stdout.contains("standardized scale"))
    }

    @Test func fastReaderErrorsNamePositions() throws {
        let empty = try CLI.temporaryFile("x,z,y\n1,2,0\n2,,1\n3,4,1\n")
        let result = try CLI.run(["train", "logistic", "--table", empty, "--label", "y"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(empty):3:2: empty value in numeric column 'z'"), "\(result.stderr)")
        let ragged = try CLI.temporaryFile("x,y\n1,0\n2,1,5\n")
        let second = try CLI.run(["train", "logistic", "--table", ragged, "--label", "y"])
        #expect(second.stderr.contains("\(ragged):3: has 3 fields but the header has 2"), "\(second.stderr)")
        let weights = try CLI.temporaryFile("x,y,w\n1,0,1\n2,1,-2\n")
        let third = try CLI.run(["train", "logistic", "--table", weights, "--label", "y", "--weights", "w"])
        #expect(third.stderr.contains("\(weights):3: weight 'w'"), "\(third.stderr)")
        let badLabel = try CLI.temporaryFile("x,y\n1,yes\n2,no\n3,maybe\n")
        let fourth = try CLI.run(["train", "logistic", "--table", badLabel, "--label", "y"])
        #expect(fourth.stderr.contains("\(badLabel):4") && fourth.stderr.contains("maybe"), "\(fourth.stderr)")
    }

    @Test(arguments: [
        (["--l1-ratio", "2"], "--l1-ratio must be in [0, 1]"),
        (["--solver", "newton", "--l1-ratio", "0.5"], "cannot fit an L1 term"),
        (["--l1-ratio-grid", "0,1"], "--l1-ratio-grid needs --cv"),
        (["--cv", "3", "--l2-grid", "1,abc"], "'abc' is not a number"),
        (["--cv", "1"], "--cv must be at least 2"),
        (["--solver", "fastest"], "fastest"),
        (["--class-weight", "even"], "even"),
    ])
    func badOptionsExplain(extra: [String], message: String) throws {
        let path = try CLI.temporaryFile(Self.table)
        let result = try CLI.run(["train", "logistic", "--table", path, "--label", "churned"] + extra)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func identifierLikeLabelsAreRefused() throws {
        let rows = (0..<1002).map { "\($0 % 7),id\($0)" }
        let path = try CLI.temporaryFile((["x,customer"] + rows).joined(separator: "\n") + "\n")
        let result = try CLI.run(["train", "logistic", "--table", path, "--label", "customer"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("1002 distinct values") && result.stderr.contains("identifier"), "\(result.stderr)")
    }

    @Test func timingsGoToStandardError() throws {
        let path = try CLI.temporaryFile(Self.table)
        let result = try CLI.run(
            ["train", "logistic", "--table", path, "--label", "churned", "--format", "json", "--timings"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("timings: read") && result.stderr.contains("fit"), "\(result.stderr)")
        #expect(result.stderr.contains("peak resident"))
        #expect((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) != nil)
    }
}
