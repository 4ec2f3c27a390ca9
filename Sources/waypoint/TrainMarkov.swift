import ArgumentParser
import Foundation
import Journeys
import Markov

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit models on a touchpoint log and save them.",
        subcommands: [TrainAll.self, TrainChurn.self, TrainConversion.self, TrainNBA.self, TrainMarkov.self, TrainLogistic.self]
    )
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a saved model on a touchpoint log (use customers it was not fitted on).",
        subcommands: [EvaluateChurn.self, EvaluateConversion.self, EvaluatePolicy.self, EvaluateMarkov.self]
    )
}

struct TrainMarkov: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "markov",
        abstract: "Fit a Markov journey model: next-channel prediction, time to next touch, and the absorbing chain.",
        discussion: """
            Cuts the log into journeys (as 'events summarize' does), then fits
              - the next-channel model on every journey (censored ones too: their touches are real), with \
            interpolated Witten-Bell smoothing down to lower orders, so any history gets a distribution;
              - the absorbing chain (start, channel states, conversion, null) on completed journeys, the one \
            'attribute' solves.
            --order auto (default) fits orders 1...--max-order on 80% of the customers, keeps the order with \
            the lowest log-loss on the other 20%, and refits on everyone.

            Examples:
              waypoint train markov --events events.csv --out models/markov.json
              waypoint train markov --events events.csv --order 2 --out m.json --dot journeys.dot
              dot -Tpng journeys.dot -o journeys.png
            """
    )

    @Option(help: "Touchpoint log (CSV or NDJSON, or - for standard input).")
    var events: String

    @Option(help: "Where to write the model (JSON, written atomically).")
    var out: String

    @Option(help: "Markov order 1...6, or auto.")
    var order: String = "auto"

    @Option(help: "Highest order tried by --order auto.")
    var maxOrder: Int = 4

    @Option(help: "Chain state semantics: history or channel-attribution.")
    var semantics: StateSemantics = .history

    @Option(help: "Also write the journey map as Graphviz DOT here.")
    var dot: String?

    @Option(help: "Leave edges between states below this probability out of the journey map (edges to conversion and null are always drawn).")
    var dotMinimumProbability: Double = 0.02

    @OptionGroup(title: "Reading --events") var reader: ReaderArguments
    @OptionGroup(title: "Cutting journeys") var journeys: JourneyArguments

    func validate() throws {
        guard order == "auto" || Int(order).map({ (1...6).contains($0) }) == true else {
            throw ValidationError("--order must be 1...6 or auto, got '\(order)'")
        }
        guard (1...6).contains(maxOrder) else { throw ValidationError("--max-order must be 1...6, got \(maxOrder)") }
    }

    func run() throws {
        let progress = ProgressLine()
        let options = try reader.options()
        let (store, report): (EventStore, EventReadReport)
        do {
            (store, report) = try EventReader.read(
                path: events, options: options,
                onProgress: { progress.update("read \(formatBytes($0.bytesRead)), \($0.rowsKept) rows") })
        } catch {
            progress.clear()
            throw CLIFailure(error.description)
        }
        progress.clear()
        let cut = store.journeys(try journeys.options())
        printError("read \(report.rowsKept) events of \(store.customerCount) customers: \(cut.count) journeys")
        do {
            var configuration = NextChannelConfiguration()
            configuration.order = order == "auto" ? .auto(maxOrder: maxOrder) : .fixed(Int(order)!)
            let fit = try NextChannelModel.fit(cut, in: store, configuration: configuration)
            var chain = try TransitionCounts(configuration: MarkovConfiguration(order: fit.model.order, semantics: semantics))
            chain.add(cut, from: store)
            let model = MarkovModel(chain: chain, nextChannel: fit.model)
            try model.save(to: out)
            if let dot {
                try chain.journeyMap(minimumProbability: dotMinimumProbability).write(toFile: dot, atomically: true, encoding: .utf8)
            }
            print("order        \(fit.model.order)\(order == "auto" ? " (chosen by held-out log-loss)" : "")")
            for candidate in fit.report.candidates {
                let e = candidate.heldOut
                print(String(
                    format: "  order %d    log-loss %.4f, top-1 %.3f, top-3 %.3f on %d held-out touches",
                    candidate.order, e.logLoss, e.top1Accuracy, e.top3Accuracy, e.predictions))
            }
            if chain.totalConversions + chain.totalNulls > 0 {
                let attribution = try chain.removalAttribution()
                print(String(format: "chain        %d states; P(conversion) %.4f from %@ completed journeys", chain.stateCount, attribution.conversionProbability, formatCount(chain.totalConversions + chain.totalNulls)))
            } else {
                print("chain        \(chain.stateCount) states; no completed journeys yet (all censored)")
            }
            print("model        \(out)" + (dot.map { "\njourney map  \($0)" } ?? ""))
        } catch let error as MarkovError {
            throw CLIFailure(error.message)
        }
    }
}

struct EvaluateMarkov: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "markov",
        abstract: "Next-channel accuracy and log-loss, and conversion AUC, of a saved Markov model.",
        discussion: """
            Predicts every touch after the first of each journey from the touches before it (top-1 and top-3 \
            accuracy, mean log-loss in nats), and scores each completed journey by the chain's P(conversion) \
            from the state after its last touch (ROC AUC, ties counted as one half). Evaluate on customers \
            the model was not fitted on.
            """
    )

    @Option(help: "Model written by 'waypoint train markov'.")
    var model: String

    @Option(help: "Touchpoint log to evaluate on.")
    var events: String

    @Option(help: "Output: table or json.")
    var format: Attribute.OutputFormat = .table

    @OptionGroup(title: "Reading --events") var reader: ReaderArguments
    @OptionGroup(title: "Cutting journeys") var journeys: JourneyArguments

    func run() throws {
        let loaded: MarkovModel
        do { loaded = try MarkovModel.load(from: model) } catch let error as MarkovError {
            throw CLIFailure(error.message)
        } catch {
            throw CLIFailure("\(model): cannot load: \(error.localizedDescription)")
        }
        let options = try reader.options()
        let store: EventStore
        do { store = try EventReader.read(path: events, options: options).store } catch {
            throw CLIFailure(error.description)
        }
        let cut = store.journeys(try journeys.options())
        let next = loaded.nextChannel.evaluate(cut, in: store, customers: 0..<store.customerCount)
        let conversion: ConversionEvaluation
        do { conversion = try loaded.chain.evaluateConversion(cut, in: store) } catch { throw CLIFailure(error.message) }
        switch format {
        case .json:
            struct Output: Encodable {
                var nextChannel: NextChannelEvaluation
                var conversion: ConversionEvaluation
                enum CodingKeys: String, CodingKey { case nextChannel = "next_channel", conversion }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(Output(nextChannel: next, conversion: conversion)), as: UTF8.self))
        case .table, .csv:
            print(String(format: "next channel  top-1 %.4f, top-3 %.4f, log-loss %.4f over %d touches (%d on unknown channels skipped)", next.top1Accuracy, next.top3Accuracy, next.logLoss, next.predictions, next.unknownChannels))
            let auc = conversion.rocAUC.map { String(format: "%.4f", $0) } ?? "n/a (needs converted and lapsed journeys)"
            print("conversion    ROC AUC \(auc) over \(conversion.journeys) completed journeys (\(conversion.converted) converted, \(conversion.unseenStates) with unseen final states)")
        }
    }
}
