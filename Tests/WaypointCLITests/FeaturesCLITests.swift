import Foundation
import Testing

@Suite struct FeaturesCLITests {
    /// The hand-checked log of FeaturesTests: at T = 2024-03-01, a and b are rows, c has no history.
    let log = """
        customer_id,timestamp,channel,event,value,segment,tenure
        a,2024-01-15T00:00:00Z,email,view,,gold,3
        a,2024-02-20T00:00:00Z,web,click,,gold,3
        a,2024-02-23T00:00:00Z,email,view,,gold,3
        a,2024-02-25T12:00:00Z,web,purchase,50,gold,3
        a,2024-03-05T00:00:00Z,web,view,,gold,3
        a,2024-03-06T00:00:00Z,email,unsubscribe,,gold,3
        b,2024-02-10T00:00:00Z,sms,view,,silver,
        b,2024-02-28T00:00:00Z,sms,click,,silver,
        b,2024-03-10T00:00:00Z,sms,purchase,20,silver,
        c,2024-03-02T00:00:00Z,email,view,,bronze,7
        c,2024-04-15T00:00:00Z,email,view,,bronze,7

        """

    func table(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines[0], Array(lines.dropFirst()))
    }

    @Test func writesTheFeatureTable() throws {
        let events = try CLI.temporaryFile(log)
        let out = events + ".table.csv"
        let result = try CLI.run([
            "features", "--events", events, "--cutoff", "2024-03-01", "--horizon", "30d", "--label", "churn",
            "--lookback", "20d", "--churn-event", "unsubscribe", "--windows", "7,30", "--last-k", "2",
            "--attributes", "segment", "--numeric-attributes", "tenure", "--out", out, "--threads", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("2 rows"))
        #expect(result.stderr.contains("1 without history"))
        let (header, rows) = try table(out)
        #expect(header.first == "customer_id" && header[1] == "cutoff" && header.last == "label")
        #expect(rows.map { $0[0] } == ["a", "b"])
        #expect(rows.map { $0.last } == ["1", "0"])  // a unsubscribes on 03-06
        func value(_ row: Int, _ name: String) -> String? { header.firstIndex(of: name).map { rows[row][$0] } }
        #expect(rows[0][1] == "2024-03-01T00:00:00Z")
        #expect(value(0, "count_email_7d") == "1")
        #expect(value(0, "recency_days") == "4.5")
        #expect(value(1, "last1_channel=sms") == "1")
        #expect(value(1, "tenure") == "3")  // missing for b: the training mean
        #expect(value(1, "segment=silver") == "1")
        #expect(value(0, "segment=(unseen)") == "0")
    }

    @Test func refusesACensoredCutoffAndBadArguments() throws {
        let events = try CLI.temporaryFile(log)
        let late = try CLI.run(["features", "--events", events, "--cutoff", "2024-04-01", "--horizon", "30d", "--label", "conversion", "--out", events + ".t"])
        #expect(late.status != 0)
        #expect(late.stderr.contains("censored"))
        let badCutoff = try CLI.run(["features", "--events", events, "--cutoff", "June", "--horizon", "30d", "--label", "conversion", "--out", events + ".t"])
        #expect(badCutoff.status != 0 && badCutoff.stderr.contains("--cutoff"))
        let badHorizon = try CLI.run(["features", "--events", events, "--cutoff", "2024-03-01", "--horizon", "30", "--label", "conversion", "--out", events + ".t"])
        #expect(badHorizon.status != 0 && badHorizon.stderr.contains("--horizon"))
        let missing = try CLI.run(["features", "--events", events, "--cutoff", "2024-03-01", "--horizon", "30d", "--label", "conversion", "--attributes", "planet", "--out", events + ".t"])
        #expect(missing.status != 0 && missing.stderr.contains("'planet'"))
        #expect(!FileManager.default.fileExists(atPath: events + ".t"))
    }

    @Test func helpExplainsCutoffHorizonAndLabels() throws {
        let help = try CLI.run(["features", "--help"])
        #expect(help.status == 0)
        for word in ["--cutoff", "--horizon", "--lookback", "[T, T + H)", "--label churn:", "--label conversion:", "censored", "[T - lookback, T)"] {
            #expect(help.stdout.contains(word), "help lacks \(word)")
        }
    }
}
