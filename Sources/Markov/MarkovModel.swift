import Foundation
import Journeys

/// A fitted Markov journey model: the attribution chain and the next-channel predictor, saved
/// together in one versioned file the scoring library loads.
public struct MarkovModel: Sendable {
    /// Transition counts of the absorbing chain (start, channel states, conversion, null).
    public let chain: TransitionCounts
    /// Smoothed next-channel probabilities and time to next touch.
    public let nextChannel: NextChannelModel

    /// Pairs a fitted chain with a fitted next-channel model (not checked to come from the same data).
    public init(chain: TransitionCounts, nextChannel: NextChannelModel) {
        self.chain = chain
        self.nextChannel = nextChannel
    }

    /// The file format's name, written in every model file and checked by `load(from:)`.
    public static let format = "waypoint-markov"
    /// The format version `save(to:)` writes; `load(from:)` refuses files of a higher version.
    public static let formatVersion = 1

    /// Writes the model as JSON to `path`, atomically (a temporary file renamed over the target).
    /// Doubles are written in shortest round-trip form, so a load gives back the same model bit for bit.
    ///
    /// - Throws: `EncodingError` if a number is not finite (JSON has no NaN or infinity); Foundation's
    ///   error if the file cannot be written.
    public func save(to path: String) throws {
        try jsonData().write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a model written by `save(to:)`.
    ///
    /// - Throws: `MarkovError.incompatible` for another format or a newer version (naming both), for a
    ///   file that is not JSON with a format header (a truncated file lands here), or for a version-1
    ///   body whose columns do not fit together; a `DecodingError` for a body with missing or mistyped
    ///   fields; Foundation's error when the file cannot be read.
    public static func load(from path: String) throws -> MarkovModel {
        try MarkovModel(jsonData: try Data(contentsOf: URL(fileURLWithPath: path)), source: path)
    }
}

/// Version 1 of the saved model. Frozen: new fields mean a new version.
struct MarkovModelV1: Codable {
    var format = MarkovModel.format
    var version = 1
    var configuration: MarkovConfiguration
    var channelNames: [String]
    /// Each state's symbols (0 = start padding, c + 1 = channel c).
    var states: [[UInt16]]
    var successorTargets: [[Int32]]
    var successorSymbols: [[UInt16]]
    var successorWeights: [[Double]]
    var conversionWeights: [Double]
    var conversionValues: [Double]
    var nullWeights: [Double]
    var totals: [Double]
    var nextChannel: NextChannelModelV1

    init(model: MarkovModel) {
        let c = model.chain
        configuration = c.configuration
        channelNames = c.channelNames
        states = c.states.map(\.symbols)
        successorTargets = c.successors.map { $0.map(\.target) }
        successorSymbols = c.successors.map { $0.map(\.symbol) }
        successorWeights = c.successors.map { $0.map(\.weight) }
        conversionWeights = c.conversionWeights
        conversionValues = c.conversionValues
        nullWeights = c.nullWeights
        totals = [c.totalConversions, c.totalConversionValue, c.totalNulls]
        nextChannel = NextChannelModelV1(model.nextChannel)
    }

    func model() throws -> MarkovModel {
        let n = states.count
        guard [successorTargets.count, successorSymbols.count, successorWeights.count, conversionWeights.count,
            conversionValues.count, nullWeights.count].allSatisfy({ $0 == n }), totals.count == 3,
            states.allSatisfy({ $0.count <= MarkovConfiguration.maxOrder && $0.allSatisfy { Int($0) <= channelNames.count } }),
            successorTargets.allSatisfy({ $0.allSatisfy { $0 >= 0 && Int($0) < n } }),
            zip(successorTargets, zip(successorSymbols, successorWeights)).allSatisfy({ $0.count == $1.0.count && $0.count == $1.1.count }),
            successorSymbols.allSatisfy({ $0.allSatisfy { Int($0) <= channelNames.count } })
        else { throw MarkovError(.incompatible, "model file is inconsistent (column lengths or indices out of range)") }
        let chain = try TransitionCounts(
            configuration: configuration, channelNames: channelNames, states: states.map { ChainState(symbols: $0) },
            successors: (0..<n).map { s in
                return (0..<successorTargets[s].count).map {
                    TransitionCounts.Successor(symbol: successorSymbols[s][$0], target: successorTargets[s][$0], weight: successorWeights[s][$0])
                }
            },
            conversionWeights: conversionWeights, conversionValues: conversionValues, nullWeights: nullWeights,
            totals: (totals[0], totals[1], totals[2]))
        return MarkovModel(chain: chain, nextChannel: try nextChannel.model())
    }
}

/// Version 1 of a saved next-channel model: its compressed rows as they are.
struct NextChannelModelV1: Codable {
    var configuration: NextChannelConfiguration
    var order: Int
    var channelNames: [String]
    var histories: [[UInt16]]
    var successorStarts: [Int]
    var successorSymbols: [UInt16]
    var successorCounts: [Int]
    var historyTotals: [Int]
    var gapStarts: [Int]
    var gapBins: [UInt16]
    var gapCounts: [Int]
    var gapTotals: [Int]

    init(_ m: NextChannelModel) {
        configuration = m.configuration
        order = m.order
        channelNames = m.channelNames
        histories = m.histories.map(\.symbols)
        successorStarts = m.successorStarts
        successorSymbols = m.successorSymbols
        successorCounts = m.successorCounts
        historyTotals = m.historyTotals
        gapStarts = m.gapStarts
        gapBins = m.gapBins
        gapCounts = m.gapCounts
        gapTotals = m.gapTotals
    }

    func model() throws -> NextChannelModel {
        let n = histories.count
        func validRows(_ starts: [Int], _ count: Int) -> Bool {
            starts.count == n + 1 && starts.first == 0 && starts.last == count && zip(starts, starts.dropFirst()).allSatisfy { $0 <= $1 }
        }
        guard (1...MarkovConfiguration.maxOrder).contains(order), historyTotals.count == n, gapTotals.count == n,
            validRows(successorStarts, successorSymbols.count), successorCounts.count == successorSymbols.count,
            validRows(gapStarts, gapBins.count), gapCounts.count == gapBins.count,
            successorSymbols.allSatisfy({ Int($0) <= channelNames.count }),
            histories.allSatisfy({ $0.count <= order && $0.allSatisfy { Int($0) <= channelNames.count } })
        else { throw MarkovError(.incompatible, "next-channel model in the file is inconsistent (lengths or indices out of range)") }
        let states = histories.map { ChainState(symbols: $0) }
        var historyIndex: [ChainState: Int32] = [:]
        for (i, h) in states.enumerated() { historyIndex[h] = Int32(i) }
        var channelIndex: [String: Int] = [:]
        for (i, name) in channelNames.enumerated() { channelIndex[name] = i }
        return NextChannelModel(
            configuration: configuration, order: order, channelNames: channelNames, channelIndex: channelIndex,
            histories: states, historyIndex: historyIndex, successorStarts: successorStarts,
            successorSymbols: successorSymbols, successorCounts: successorCounts, historyTotals: historyTotals,
            gapStarts: gapStarts, gapBins: gapBins, gapCounts: gapCounts, gapTotals: gapTotals)
    }
}
