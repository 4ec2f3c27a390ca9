import ArgumentParser
import Foundation
import Journeys
import Simulation

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate an event log from known ground truth: events.csv and truth.json.",
        discussion: """
            Planted, and written to truth.json with the policy values:

            Customers: segment (deal_seeker, loyalist, browser), region, tenure_days, customer_value.

            Journeys: channels from an order-2 chain per segment (start padding, an end probability); \
            sessions, inter-touch gaps, fewer session starts at weekends and at night (UTC).

            Conversion: a per-touch logistic hazard on channel touches in the last 7 days, segment, region, \
            tenure and value; a purchase ends the journey, its value lognormal around customer_value.

            Churn: a logistic hazard after each journey (segment, converted, tenure, touches); a churned \
            customer never touches again.

            Actions: at each journey's first touch a biased logging policy picks one of 5 actions or none by \
            segment, recording action and propensity; each action shifts the conversion logit by a \
            per-segment amount (some help one segment and hurt another).

            Values: expected conversions per customer under the logging policy, the oracle (best action per \
            segment) and no action, computed exactly from the planted hazards.

            events.csv holds the seven event columns, then the customer attributes segment, region, \
            tenure_days, customer_value and the journey number. Rows are grouped by customer, in time order. \
            The same --seed (and --config) gives the same bytes, whatever --threads.

            Examples:
              waypoint simulate --customers 10000 --seed 1 --out sim
              waypoint events summarize sim/events.csv
              waypoint simulate --customers 1000000 --seed 7 --days 365 --out big
            """
    )

    @Option(help: "Number of customers.")
    var customers: Int = 10_000

    @Option(help: "Seed of the sampling (the planted chains come from the configuration's parameterSeed).")
    var seed: UInt64 = 1

    @Option(help: "Directory for events.csv and truth.json (created if missing; files written atomically).")
    var out: String

    @Option(help: "Length of the observation window in days.")
    var days: Int?

    @Option(help: "Worker threads (default: all cores). The output does not depend on it.")
    var threads: Int = systemCoreCount()

    @Option(help: "A JSON SimulationConfiguration; fields it leaves out keep their defaults. --customers, --seed and --days override it.")
    var config: String?

    func validate() throws {
        guard customers >= 1 else { throw ValidationError("--customers must be at least 1, got \(customers)") }
        guard threads >= 1 else { throw ValidationError("--threads must be >= 1, got \(threads)") }
        if let days, !(1...3650).contains(days) { throw ValidationError("--days must be 1...3650, got \(days)") }
    }

    func run() throws {
        var configuration = SimulationConfiguration()
        if let config {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: config))
                configuration = try JSONDecoder().decode(SimulationConfiguration.self, from: data)
            } catch {
                throw CLIFailure("cannot read the configuration \(config): \(error)")
            }
        }
        configuration.customers = customers
        configuration.seed = seed
        if let days { configuration.days = days }
        let problems = configuration.problems()
        guard problems.isEmpty else { throw CLIFailure("invalid configuration: " + problems.joined(separator: "; ")) }

        let progress = ProgressLine()
        let started = Date()
        let truth: SimulationTruth
        do {
            truth = try Simulator.write(configuration, to: out, threads: threads) { p in
                progress.update("simulated \(p.customers) of \(configuration.customers) customers, \(p.events) events, \(formatBytes(p.bytes))")
            }
        } catch {
            progress.clear()
            throw CLIFailure("\(error)")
        }
        progress.clear()
        let seconds = Date().timeIntervalSince(started)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: out + "/events.csv")[.size] as? Int) ?? 0
        let rate = seconds > 0 ? Double(truth.events) / seconds : 0
        print("customers    \(truth.customers) (\(truth.segments.map { "\($0.name) \($0.customers)" }.joined(separator: ", ")))")
        print("events       \(truth.events) in \(truth.journeys) journeys (\(formatBytes(bytes)))")
        print("conversions  \(truth.conversions)")
        print("churned      \(truth.churned)")
        print(String(format: "values       %.4f conversions per customer logged, %.4f oracle, %.4f no action", truth.loggingValue, truth.oracleValue, truth.noActionValue))
        print(String(format: "time         %.2f s, %.0f events/s", seconds, rate))
        print("wrote        \(out)/events.csv, \(out)/truth.json")
    }
}
