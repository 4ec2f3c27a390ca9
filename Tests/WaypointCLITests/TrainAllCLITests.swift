import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `waypoint train all` and `waypoint score` end to end, on the shipped sample.
@Suite struct TrainAllCLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var sample: String { root.appendingPathComponent("datasets/sample").path }
    static var demo: String { root.appendingPathComponent("models/demo").path }

    /// Events and distinct customers of the shipped sample, counted from the file.
    static let sampleCounts: (events: Int, customers: Int) = {
        let text = (try? String(contentsOfFile: sample + "/events.csv", encoding: .utf8)) ?? ""
        let rows = text.split(separator: "\n").dropFirst()
        return (rows.count, Set(rows.map { $0.prefix { $0 != "," } }).count)
    }()

    static func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("waypoint-cli-\(UUID().uuidString)").path
    }

    struct Manifest: Decodable, Equatable {
        struct File: Decodable, Equatable {
            var name: String
            var bytes: Int
            var sha256: String
        }
        var format: String
        var formatVersion: String
        var files: [File]
        var parameters: [String: String]
        var metrics: [String: Double]
        var trainingData: [String: String?]?

        enum CodingKeys: String, CodingKey { case format, formatVersion, files, parameters, metrics, trainingData }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            format = try c.decode(String.self, forKey: .format)
            formatVersion = try c.decode(String.self, forKey: .formatVersion)
            files = try c.decode([File].self, forKey: .files)
            parameters = try c.decode([String: String].self, forKey: .parameters)
            metrics = try c.decode([String: Double].self, forKey: .metrics)
            // Numbers and strings of the fingerprint, as text.
            if let raw = try c.decodeIfPresent([String: FlexibleText].self, forKey: .trainingData) {
                trainingData = raw.mapValues(\.text)
            }
        }
    }

    struct FlexibleText: Decodable {
        var text: String?
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { text = s } else if let i = try? c.decode(Int.self) { text = String(i) } else { text = nil }
        }
    }

    static func manifest(_ dir: String) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json")))
    }

    /// The committed `models/demo` is what `train all` makes from the shipped sample: every model file
    /// byte for byte, and the manifest in everything but its creation time. Regenerate with `scripts/demo`.
    @Test func demoBundleIsReproducibleFromTheSample() throws {
        let out = Self.temporaryFolder()
        let result = try CLI.run(["train", "all", "--config", Self.sample + "/waypoint.json", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let made = try Self.manifest(out)
        let committed = try Self.manifest(Self.demo)
        #expect(made == committed, "models/demo differs from a fresh `waypoint train all` on datasets/sample: rerun scripts/demo")
        for file in committed.files {
            let a = try Data(contentsOf: URL(fileURLWithPath: out + "/" + file.name))
            let b = try Data(contentsOf: URL(fileURLWithPath: Self.demo + "/" + file.name))
            #expect(a == b, "\(file.name) differs")
        }
        #expect(result.stdout.contains("churn.held_out_roc_auc"))
        #expect(result.stderr.contains("snapshots: train at"))
    }

    @Test func scoreReconcilesEveryCustomer() throws {
        let out = Self.temporaryFolder() + ".csv"
        let result = try CLI.run(["score", "--model", Self.demo, "--events", Self.sample + "/events.csv", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("customer_id,scored_at,next_channel,") == true)
        let (events, customers) = Self.sampleCounts
        #expect(lines.count == 1 + customers)
        #expect(result.stderr.contains("scored \(customers) of \(customers) customers"))
        // An earlier time: customers whose first event is later are counted, not scored.
        let early = try CLI.run(["score", "--model", Self.demo, "--events", Self.sample + "/events.csv", "--at", "2024-01-05", "--format", "ndjson"])
        #expect(early.status == 0, "\(early.stderr)")
        let rows = early.stdout.split(separator: "\n").count
        #expect(early.stderr.contains("scored \(rows) of \(customers) customers at 2024-01-05T00:00:00Z (\(customers - rows) without events before it)"))
        #expect(result.stderr.contains("\(events) rows read = \(events) kept + 0 rejected"))
        let table = try CLI.run(["score", "--model", Self.demo, "--events", Self.sample + "/events.csv", "--format", "table", "--limit", "3"])
        #expect(table.stdout.split(separator: "\n").count == 5)
    }

    /// Bad rows: stopped at with file:line:column by default; with --max-errors and --rejects, written to
    /// the reject file and reconciled in the summary. Standard input works with an attributes file.
    @Test func scoreRejectsAndStandardInput() throws {
        let events = try String(contentsOfFile: Self.sample + "/events.csv", encoding: .utf8)
        let bad = events + "c000001,2024-13-40T00:00:00Z,email,view,,,,deal_seeker,north,10,50.00,1\n"
        let path = try CLI.temporaryFile(bad)
        var r = try CLI.run(["score", "--model", Self.demo, "--events", path, "--out", "/dev/null"])
        let (rows, customers) = Self.sampleCounts
        let badLine = rows + 2  // header, rows, then the bad one
        #expect(r.status != 0 && r.stderr.contains(":\(badLine):") && r.stderr.contains("timestamp"), "\(r.stderr)")
        let rejects = Self.temporaryFolder() + "-rejects.csv"
        r = try CLI.run(["score", "--model", Self.demo, "--events", path, "--out", "/dev/null", "--max-errors", "5", "--rejects", rejects])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("\(rows + 1) rows read = \(rows) kept + 1 rejected (written to \(rejects))"), "\(r.stderr)")
        let rejected = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        #expect(rejected.count == 2 && rejected[1].hasPrefix("\(badLine),"))

        r = try CLI.run(["score", "--model", Self.demo, "--events", "-", "--input-format", "csv", "--attributes", Self.sample + "/events.csv"], stdin: Data(events.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 1 + customers)
        let withFile = r.stdout
        // Without --attributes, the log's own attribute columns are read along with the events, from a pipe too.
        r = try CLI.run(["score", "--model", Self.demo, "--events", "-", "--input-format", "csv"], stdin: Data(events.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == withFile)
    }

    /// The sample sorted by customer id, byte by byte and stably (as `LC_ALL=C sort -t, -k1,1 -s` does).
    static func sortedSample() throws -> String {
        let lines = try String(contentsOfFile: sample + "/events.csv", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        let body = lines.dropFirst().enumerated().sorted { a, b in
            let (x, y) = (Array(a.element.prefix { $0 != "," }.utf8), Array(b.element.prefix { $0 != "," }.utf8))
            return x != y ? x.lexicographicallyPrecedes(y) : a.offset < b.offset
        }.map(\.element)
        return ([lines[0]] + body).joined(separator: "\n") + "\n"
    }

    /// `--sorted` streams a sorted log a batch of customers at a time and writes what the in-memory path
    /// writes, byte for byte, in any batch size, from a file or a pipe.
    @Test func scoreSortedStreamsTheSameRows() throws {
        let sorted = try Self.sortedSample()
        let path = try CLI.temporaryFile(sorted)
        let at = "2024-06-20T00:00:00Z"
        let whole = try CLI.run(["score", "--model", Self.demo, "--events", path, "--at", at])
        #expect(whole.status == 0, "\(whole.stderr)")
        for batch in ["1", "700", "100000"] {
            let streamed = try CLI.run(["score", "--model", Self.demo, "--events", path, "--at", at, "--sorted", "--batch-events", batch])
            #expect(streamed.status == 0, "\(streamed.stderr)")
            #expect(streamed.stdout == whole.stdout, "batches of \(batch) events")
            #expect(streamed.stderr == whole.stderr, "the same summary")
        }
        let piped = try CLI.run(["score", "--model", Self.demo, "--events", "-", "--input-format", "csv", "--at", at, "--sorted", "--format", "ndjson"], stdin: Data(sorted.utf8))
        let ndjson = try CLI.run(["score", "--model", Self.demo, "--events", path, "--at", at, "--format", "ndjson"])
        #expect(piped.status == 0 && piped.stdout == ndjson.stdout, "\(piped.stderr)")
        let table = try CLI.run(["score", "--model", Self.demo, "--events", path, "--at", at, "--sorted", "--format", "table", "--limit", "4", "--batch-events", "50"])
        let wholeTable = try CLI.run(["score", "--model", Self.demo, "--events", path, "--at", at, "--format", "table", "--limit", "4"])
        #expect(table.status == 0 && table.stdout == wholeTable.stdout, "\(table.stderr)")
    }

    /// What --sorted refuses, with the reason; a refused or failed run leaves no output file behind.
    @Test func scoreSortedRefusals() throws {
        let sortedPath = try CLI.temporaryFile(try Self.sortedSample())
        var r = try CLI.run(["score", "--model", Self.demo, "--events", sortedPath, "--sorted"])
        #expect(r.status != 0 && r.stderr.contains("--sorted needs --at TIME"), "\(r.stderr)")
        r = try CLI.run(["score", "--model", Self.demo, "--events", sortedPath, "--sorted", "--at", "2024-06-01", "--sort", "gain"])
        #expect(r.status != 0 && r.stderr.contains("--sort gain needs every score in memory"), "\(r.stderr)")
        r = try CLI.run(["score", "--model", Self.demo, "--events", sortedPath, "--sorted", "--at", "2024-06-01", "--attributes", sortedPath])
        #expect(r.status != 0 && r.stderr.contains("--sorted reads attributes from the log's own columns"), "\(r.stderr)")
        // The sorted sample with its last row moved to the end of the first customer's: that customer comes
        // back after all the others. Refused at that row (its line), after earlier batches were already
        // written to the temporary file, which is removed.
        var lines = try Self.sortedSample().split(separator: "\n").map(String.init)
        let firstCustomer = lines[1].prefix { $0 != "," }
        let lastOfFirst = lines.lastIndex { $0.hasPrefix(firstCustomer + ",") }!
        let moved = lines.remove(at: lastOfFirst)
        lines.append(moved)
        let unsorted = try CLI.temporaryFile(lines.joined(separator: "\n") + "\n")
        let folder = Self.temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let out = folder + "/scores.csv"
        r = try CLI.run(["score", "--model", Self.demo, "--events", unsorted, "--sorted", "--at", "2024-06-01", "--out", out, "--batch-events", "1"])
        #expect(r.status != 0, "\(r.stderr)")
        #expect(r.stderr.contains("\(unsorted):\(lines.count): customer '\(firstCustomer)' comes after"), "\(r.stderr)")
        #expect(r.stderr.contains("must be sorted by customer id"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == [], "no output, no partial file")
    }

    /// One model at a time, and measuring a bundle's model on another log.
    @Test func trainOneModelAndEvaluateIt() throws {
        let out = Self.temporaryFolder()
        var r = try CLI.run(["train", "churn", "--config", Self.sample + "/waypoint.json", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["churn.json", "features.json", "manifest.json", "markov.json", "training.json"])
        r = try CLI.run(["evaluate", "churn", "--model", out, "--events", Self.sample + "/events.csv", "--cutoff", "2024-05-01"])
        #expect(r.status == 0 && r.stdout.contains("roc_auc") && r.stdout.contains("calibration"), "\(r.stderr)")
        r = try CLI.run(["evaluate", "conversion", "--model", out, "--events", Self.sample + "/events.csv"])
        #expect(r.status != 0 && r.stderr.contains("no conversion model"), "\(r.stderr)")
        r = try CLI.run(["evaluate", "churn", "--model", out, "--events", Self.sample + "/events.csv", "--cutoff", "2024-06-20"])
        #expect(r.status != 0 && r.stderr.contains("2024-06-20"), "a cutoff whose horizon passes the end of the log: \(r.stderr)")

        // A catalog rule naming a feature that does not exist: refused with the action and the column.
        let dir = Self.temporaryFolder()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let catalog = dir + "/actions.json"
        try #"{"contactPolicy": {}, "actions": [{"id": "a1", "channel": "email", "cost": 1, "value": 10, "eligibility": "recency_days_email > 3 and no_such_feature > 1"}]}"#
            .write(toFile: catalog, atomically: true, encoding: .utf8)
        r = try CLI.run(["train", "nba", "--config", Self.sample + "/waypoint.json", "--catalog", catalog, "--out", dir + "/b"])
        #expect(r.status != 0 && r.stderr.contains("a1") && r.stderr.contains("no_such_feature"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b"))
    }

    /// --explore draws an action per customer and emits its propensity, reproducibly on any thread count.
    @Test func explorationEmitsPropensities() throws {
        let args = ["score", "--model", Self.demo, "--events", Self.sample + "/events.csv", "--explore", "epsilon:0.3", "--seed", "9"]
        let a = try CLI.run(args + ["--threads", "1"])
        let b = try CLI.run(args + ["--threads", "2"])
        #expect(a.status == 0 && a.stdout == b.stdout, "\(a.stderr)")
        let lines = a.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0]
        let best = try #require(header.firstIndex(of: "best_action"))
        let chosen = try #require(header.firstIndex(of: "chosen_action"))
        let propensity = try #require(header.firstIndex(of: "chosen_propensity"))
        var explored = 0
        for row in lines.dropFirst() {
            let p = try #require(Double(row[propensity]))
            if row[chosen] == row[best] { #expect(p >= 0.7 && p <= 1) } else {
                #expect(p > 0 && p <= 0.3)
                explored += 1
            }
        }
        // Each customer leaves the best action with probability 0.3 * (1 - 1/m), m = 2...6 candidates.
        let rate = Double(explored) / Double(lines.count - 1)
        #expect(rate > 0.1 && rate < 0.3, "explored \(rate)")
        let bad = try CLI.run(["score", "--model", Self.demo, "--events", Self.sample + "/events.csv", "--explore", "epsilon:2"])
        #expect(bad.status != 0 && bad.stderr.contains("[0, 1]"))
    }

    @Test func refusalsNameTheProblem() throws {
        let dir = Self.temporaryFolder()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = dir + "/bad.json"
        try #"{"churn": {"horizonDay": 30}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        var r = try CLI.run(["train", "all", "--config", config, "--out", dir + "/b", "--events", Self.sample + "/events.csv"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.json") && r.stderr.contains("'churn.horizonDay'"), "\(r.stderr)")

        try "{}".write(toFile: config, atomically: true, encoding: .utf8)
        r = try CLI.run(["train", "all", "--config", config, "--out", dir + "/b"])
        #expect(r.status != 0 && r.stderr.contains("no events"), "\(r.stderr)")
        try "{ not json".write(toFile: config, atomically: true, encoding: .utf8)
        r = try CLI.run(["train", "all", "--config", config, "--out", dir + "/b"])
        #expect(r.status != 0 && r.stderr.contains("bad.json"), "\(r.stderr)")

        r = try CLI.run(["score", "--model", dir, "--events", Self.sample + "/events.csv"])
        #expect(r.status != 0 && r.stderr.contains("manifest.json") && r.stderr.contains("not a Waypoint model bundle"), "\(r.stderr)")
        r = try CLI.run(["score", "--model", Self.demo, "--events", Self.sample + "/events.csv", "--at", "2024-13-01"])
        #expect(r.status != 0 && r.stderr.contains("--at") && r.stderr.contains("month"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b"))
    }

    /// Killing `train all` or `score` while they write leaves either nothing or a complete result under
    /// the final name. The test watches the output folder and kills the process (SIGKILL) the moment
    /// its temporary output appears, so the kill lands inside the write whenever the poll sees it.
    @Test func killedRunsLeaveNoPartialOutput() throws {
        let dir = Self.temporaryFolder()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        /// Runs `arguments`, killing the process as soon as a file starting with `prefix` shows up in `dir`.
        func runKilledWhileWriting(_ arguments: [String], prefix: String) throws {
            let process = Process()
            process.executableURL = CLI.executable
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            while process.isRunning {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                if names.contains(where: { $0.hasPrefix(prefix) }) {
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
                usleep(200)
            }
            process.waitUntilExit()
        }
        let bundle = dir + "/bundle"
        for attempt in 0..<3 {
            try? FileManager.default.removeItem(atPath: bundle)
            try runKilledWhileWriting(["train", "all", "--config", Self.sample + "/waypoint.json", "--out", bundle], prefix: ".bundle.partial-")
            if FileManager.default.fileExists(atPath: bundle) {
                // The rename happened before the kill: the bundle must be whole.
                let check = try CLI.run(["score", "--model", bundle, "--events", Self.sample + "/events.csv", "--out", "/dev/null"])
                #expect(check.status == 0, "attempt \(attempt): a bundle under the final name does not load: \(check.stderr)")
            }
        }
        let scores = dir + "/scores.csv"
        for attempt in 0..<3 {
            try? FileManager.default.removeItem(atPath: scores)
            try runKilledWhileWriting(["score", "--model", Self.demo, "--events", Self.sample + "/events.csv", "--out", scores], prefix: ".scores.csv.partial-")
            if FileManager.default.fileExists(atPath: scores) {
                let lines = try String(contentsOfFile: scores, encoding: .utf8).split(separator: "\n").count
                #expect(lines == 1 + Self.sampleCounts.customers, "attempt \(attempt): \(scores) holds \(lines) lines")
            }
        }

        // What killed writers left behind is cleared by the next run; a live writer's partial is kept.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let stale = [dir + "/.scores.csv.partial-\(gone.processIdentifier)", dir + "/.bundle.partial-\(gone.processIdentifier)-7"]
        let live = dir + "/.scores.csv.partial-\(getpid())"
        for path in stale + [live] { FileManager.default.createFile(atPath: path, contents: Data("x".utf8)) }
        let again = try CLI.run(["score", "--model", Self.demo, "--events", Self.sample + "/events.csv", "--out", scores])
        #expect(again.status == 0, "\(again.stderr)")
        let retrain = try CLI.run(["train", "all", "--config", Self.sample + "/waypoint.json", "--out", bundle])
        #expect(retrain.status == 0, "\(retrain.stderr)")
        for path in stale { #expect(!FileManager.default.fileExists(atPath: path), "\(path) left behind") }
        #expect(FileManager.default.fileExists(atPath: live), "a live process's partial was removed")
    }
}
