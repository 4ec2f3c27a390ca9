import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

@main
struct Waypoint: ParsableCommand {
    static let version = "0.1.0"

    static func main() {
        #if canImport(Glibc)
        // A fixed mmap threshold returns freed blocks to the system at once. glibc's adaptive threshold
        // would keep the read's transient 4 MiB blocks in the heap (measured: 3-4 bytes per event of
        // extra peak memory on a 5M-event read).
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD in <malloc.h> */, 1 << 20)
        #endif
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "waypoint",
        abstract: "Next-best-action engine for omnichannel customer journeys.",
        discussion: """
            Waypoint learns from touchpoint logs (who touched which channel, when, what happened) and tells, \
            for every customer, the likely next channel, the chance to convert or churn, and the best action.

            Input: one row per touch, CSV with a header or NDJSON. Columns:
              customer_id  required, opaque id
              timestamp    required, ISO 8601 or Unix seconds/milliseconds
              channel      required, email, web, app, store, sms, ...
              event, value, action, propensity   optional
            Other names map with --column FIELD=NAME.

            Start here:
              waypoint events summarize datasets/sample/events.csv
              waypoint train all --config datasets/sample/waypoint.json --out models/demo
              waypoint score --model models/demo --events datasets/sample/events.csv --format table --sort gain
              waypoint recommend --model models/demo --events datasets/sample/events.csv --customer c000002
              waypoint attribute --events datasets/sample/events.csv
            """,
        version: version,
        subcommands: [Events.self, Train.self, Score.self, Recommend.self, Evaluate.self, Attribute.self, FeaturesCommand.self, Simulate.self]
    )
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look at a touchpoint log before training on it.",
        subcommands: [EventsSummarize.self]
    )
}

#if canImport(Glibc)
/// glibc's `mallopt`, which the Glibc module does not export (`<malloc.h>` is not in it).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
