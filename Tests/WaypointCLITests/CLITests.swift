import Foundation
import Testing

/// Runs the built `waypoint` executable (it sits beside the test bundle in the build folder).
struct CLI {
    static let executable: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("waypoint")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("waypoint")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], stdin: Data? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryFile(_ contents: String, suffix: String = ".csv") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("waypoint-cli-\(UUID().uuidString)\(suffix)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

@Suite struct CLITests {
    let log = """
        customer_id,timestamp,channel,event,value
        a,2024-01-01T10:00:00Z,email,view,
        a,2024-01-02T10:00:00Z,web,purchase,30.5
        b,2024-01-01T09:00:00Z,app,view,
        b,2024-03-01T09:00:00Z,app,view,
        c,2024-03-01T08:00:00Z,store,view,

        """

    @Test func versionAndHelp() throws {
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("events"))
        let summarizeHelp = try CLI.run(["events", "summarize", "--help"])
        #expect(summarizeHelp.stdout.contains("--max-errors"))
        #expect(summarizeHelp.stdout.contains("--conversion-event"))
    }

    @Test func summarizesAsJSON() throws {
        let path = try CLI.temporaryFile(log)
        let result = try CLI.run(["events", "summarize", path, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["rows_read"] as? Int == 5)
        #expect(object["rows_kept"] as? Int == 5)
        #expect(object["customers"] as? Int == 3)
        #expect(object["conversions"] as? Int == 1)
        #expect(object["conversion_value"] as? Double == 30.5)
        // a: one converted journey. b: a 60-day gap splits it; the first part lapsed, the second ends
        // with the data (censored). c: censored.
        let journeys = try #require(object["journeys"] as? [String: Int])
        #expect(journeys == ["converted": 1, "lapsed": 1, "censored": 2])
        #expect(object["events_per_channel"] as? [String: Int] == ["app": 2, "email": 1, "web": 1, "store": 1])
        let range = try #require(object["time_range"] as? [String: String])
        #expect(range == ["start": "2024-01-01T09:00:00Z", "end": "2024-03-01T09:00:00Z"])
    }

    @Test func summarizesAsTable() throws {
        let path = try CLI.temporaryFile(log)
        let result = try CLI.run(["events", "summarize", path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("5 read = 5 kept + 0 rejected"))
        #expect(result.stdout.contains("customers    3"))
    }

    @Test func readsStandardInput() throws {
        let result = try CLI.run(["events", "summarize", "-", "--format", "json"], stdin: Data(log.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"rows_kept\" : 5"))
    }

    @Test func badRowStopsWithPosition() throws {
        let path = try CLI.temporaryFile("customer_id,timestamp,channel\na,2024-01-01,web\nb,2024-13-01,web\n")
        let result = try CLI.run(["events", "summarize", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(path):3:3:"))
        #expect(result.stderr.contains("month 13"))
    }

    @Test func rejectsFileReconcilesCounts() throws {
        let path = try CLI.temporaryFile("customer_id,timestamp,channel,value\na,2024-01-01,web,1\nb,yesterday,web,2\nc,2024-01-02,app,abc\nd,2024-01-03,app,4\n")
        let rejects = FileManager.default.temporaryDirectory.appendingPathComponent("rejects-\(UUID().uuidString).csv").path
        let result = try CLI.run(["events", "summarize", path, "--max-errors", "5", "--rejects", rejects, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"rows_read\" : 4"))
        #expect(result.stdout.contains("\"rows_kept\" : 2"))
        #expect(result.stdout.contains("\"rows_rejected\" : 2"))
        let lines = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "line,column,code,reason,record")
        #expect(lines[1].hasPrefix("3,3,invalidTimestamp,"))
        #expect(lines[1].hasSuffix(",\"b,yesterday,web,2\""))
        #expect(lines[2].hasPrefix("4,"))
        #expect(lines[2].contains("invalidNumber"))
    }

    @Test func tooManyRejectsFails() throws {
        let path = try CLI.temporaryFile("customer_id,timestamp,channel\na,x,web\nb,y,web\n")
        let result = try CLI.run(["events", "summarize", path, "--max-errors", "1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("more than 1 rows rejected"))
    }

    @Test func usageErrorsExplain() throws {
        let noFile = try CLI.run(["events", "summarize", "/nonexistent/events.csv"])
        #expect(noFile.status != 0)
        #expect(noFile.stderr.contains("cannot open"))
        let rejectsWithoutMax = try CLI.run(["events", "summarize", "x.csv", "--rejects", "r.csv"])
        #expect(rejectsWithoutMax.status != 0)
        #expect(rejectsWithoutMax.stderr.contains("--max-errors"))
        let badTimeout = try CLI.run(["events", "summarize", "x.csv", "--timeout", "soon"])
        #expect(badTimeout.stderr.contains("--timeout"))
        let badMapping = try CLI.run(["events", "summarize", "x.csv", "--column", "user=id"])
        #expect(badMapping.stderr.contains("unknown event field 'user'"))
    }

    @Test func columnMappingAndSeparator() throws {
        let path = try CLI.temporaryFile("user;ts;via\nu1;1710325274;web\nu1;1710325275000;app\n")
        let result = try CLI.run([
            "events", "summarize", path, "--separator", ";", "--column", "customer_id=user", "--column", "timestamp=ts",
            "--column", "channel=via", "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"2024-03-13T10:21:14Z\""))
        #expect(result.stdout.contains("\"2024-03-13T10:21:15Z\""))
    }
}

@Suite struct AttributeCLITests {
    /// The hand-solved order-1 case of MarkovTests: removal effects 1/3 and 1, shares 1/4 and 3/4.
    let paths = "path;total_conversions;total_conversion_value;total_null\na > b;1;10;0\na;0;0;1\nb;1;5;1\n"

    @Test func jsonHoldsOneObjectPerChannel() throws {
        let file = try CLI.temporaryFile(paths)
        let result = try CLI.run(["attribute", "--paths", file, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["channel"] as? String } == ["b", "a"])
        let a = try #require(rows.first { $0["channel"] as? String == "a" })
        #expect(abs((a["removal_effect"] as? Double ?? 0) - 1.0 / 3) < 1e-12)
        #expect(abs((a["conversions"] as? Double ?? 0) - 0.5) < 1e-12)
        #expect(abs((a["conversion_value"] as? Double ?? 0) - 3.75) < 1e-12)
        let heuristics = try #require(a["heuristics"] as? [String: [String: Double]])
        #expect(heuristics["first_touch"]?["conversions"] == 1)
        #expect(heuristics["last_touch"]?["conversions"] == 0)
    }

    @Test func csvAndTable() throws {
        let file = try CLI.temporaryFile(paths)
        let csv = try CLI.run(["attribute", "--paths", file, "--format", "csv"])
        #expect(csv.status == 0)
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("channel,removal_effect,conversions,conversion_value,value_removal_effect,first_touch,") == true)
        #expect(lines.count == 3)
        let table = try CLI.run(["attribute", "--paths", file])
        #expect(table.stdout.contains("P(conversion) 0.500000 over 3 states"))
    }

    @Test func inputMistakesExplain() throws {
        let file = try CLI.temporaryFile(paths)
        let both = try CLI.run(["attribute", "--paths", file, "--events", file])
        #expect(both.status != 0)
        #expect(both.stderr.contains("exactly one input"))
        let order = try CLI.run(["attribute", "--paths", file, "--order", "9"])
        #expect(order.stderr.contains("--order must be 1...6"))
        let negative = try CLI.run(["attribute", "--paths", try CLI.temporaryFile("path;total_conversions;total_null\na;-1;0\n")])
        #expect(negative.status != 0)
        #expect(negative.stderr.contains(":2:"))
        #expect(negative.stderr.contains("negative"))
    }
}

@Suite struct TrainMarkovCLITests {
    @Test func trainThenEvaluate() throws {
        var log = "customer_id,timestamp,channel,event\n"
        for c in 0..<60 {
            let channels = c % 2 == 0 ? ["email", "web", "web"] : ["app", "store"]
            for (k, channel) in channels.enumerated() {
                log += "c\(c),2024-01-\(String(format: "%02d", 1 + k))T10:00:00Z,\(channel),\(k == channels.count - 1 && c % 3 == 0 ? "purchase" : "view")\n"
            }
        }
        let events = try CLI.temporaryFile(log)
        let model = FileManager.default.temporaryDirectory.appendingPathComponent("m-\(UUID().uuidString).json").path
        let dot = FileManager.default.temporaryDirectory.appendingPathComponent("m-\(UUID().uuidString).dot").path
        let train = try CLI.run(["train", "markov", "--events", events, "--out", model, "--order", "2", "--dot", dot, "--timeout", "none"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("order        2"))
        #expect(FileManager.default.fileExists(atPath: model))
        #expect(try String(contentsOfFile: dot, encoding: .utf8).hasPrefix("digraph"))
        let evaluate = try CLI.run(["evaluate", "markov", "--model", model, "--events", events, "--format", "json", "--timeout", "none"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        let next = try #require(object["next_channel"] as? [String: Any])
        // email → web → web and app → store are deterministic after the first touch: every
        // prediction is right.
        #expect(next["top1Accuracy"] as? Double == 1)
        #expect((next["predictions"] as? Int) == 30 * 2 + 30 * 1)
        let badOrder = try CLI.run(["train", "markov", "--events", events, "--out", model, "--order", "9"])
        #expect(badOrder.stderr.contains("--order must be 1...6 or auto"))
        let missing = try CLI.run(["evaluate", "markov", "--model", "/nonexistent.json", "--events", events])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("cannot load"))
    }
}

@Suite struct SimulateCLITests {
    /// The repository root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped sample is exactly what datasets/README.md says made it.
    @Test func shippedSampleIsReproducible() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString)").path
        let result = try CLI.run(["simulate", "--customers", "2000", "--seed", "7", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["events.csv", "truth.json"] {
            let made = try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(name))
            let shipped = try Data(contentsOf: Self.root.appendingPathComponent("datasets/sample").appendingPathComponent(name))
            #expect(made == shipped, "datasets/sample/\(name) differs from `waypoint simulate --customers 2000 --seed 7`")
        }
    }

    @Test func badArgumentsExplain() throws {
        let result = try CLI.run(["simulate", "--customers", "0", "--out", "/tmp/x"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("customers"))
    }
}

@Suite struct TrainLogisticCLITests {
    let table = """
        age,plan,"churned"
        21,basic,1
        35,pro,0
        48,"pro",0
        19,basic,1
        52,team,0
        33,basic,0
        27,team,1
        44,pro,1
        30,basic,0
        61,team,0

        """

    @Test func fitsAndPrintsJSONWithOneHotNames() throws {
        let path = try CLI.temporaryFile(table)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("logistic-\(UUID().uuidString).json").path
        let result = try CLI.run(
            ["train", "logistic", "--table", path, "--label", "churned", "--format", "json", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["intercept", "coefficients", "iterations", "converged", "gradient_norm", "log_likelihood", "notes"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["standard_errors"] == nil)
        let coefficients = try #require(object["coefficients"] as? [String: Any])
        #expect(Set(coefficients.keys) == ["age", "plan=pro", "plan=team"])
        #expect(object["converged"] as? Bool == true)
        let saved = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect(saved["columns"] as? [String] == ["age", "plan=pro", "plan=team"])
        #expect(saved["model"] != nil)

        let tableOutput = try CLI.run(["train", "logistic", "--table", path, "--label", "churned", "--standardize"])
        #expect(tableOutput.status == 0, "\(tableOutput.stderr)")
        #expect(tableOutput.stdout.contains("plan=team"))
        #expect(tableOutput.stdout.contains("standardized scale"))
    }

    @Test func unpenalizedFitHasStandardErrors() throws {
        let path = try CLI.temporaryFile(table)
        let result = try CLI.run(
            ["train", "logistic", "--table", path, "--label", "churned", "--l2", "0", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let errors = try #require(object["standard_errors"] as? [String: Double])
        #expect(Set(errors.keys) == ["(intercept)", "age", "plan=pro", "plan=team"])
        #expect(errors.values.allSatisfy { $0 > 0 && $0.isFinite })
    }

    @Test func badLabelNamesTheLine() throws {
        let path = try CLI.temporaryFile("x,y\n1,yes\n2,no\n3,maybe\n")
        let result = try CLI.run(["train", "logistic", "--table", path, "--label", "y"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(path):4"), "\(result.stderr)")
        #expect(result.stderr.contains("maybe"))
    }

    @Test func missingLabelColumnListsTheHeader() throws {
        let path = try CLI.temporaryFile(table)
        let result = try CLI.run(["train", "logistic", "--table", path, "--label", "converted"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("converted"), "\(result.stderr)")
        #expect(result.stderr.contains("'age', 'plan', 'churned'"), "\(result.stderr)")
    }
}
