import Journeys

/// Predicts a journey's next channel, and the time until it, from the channels touched so far.
///
/// A variable-order Markov model over the symbols of a journey: the start marker `S`, the channels,
/// and `END` (the journey converted or lapsed). For every position of every journey it counts which
/// symbol followed each history of the last `j = 0...order` symbols (`S` when the history reaches
/// the journey's start: after `a > b`, order 3 counts `∅`, `b`, `a b` and `S a b`). Censored journeys
/// count every transition they show but no `END`: how they end is not known yet. Only histories that
/// occur are stored, so memory grows with the data, not with channels^order.
///
/// **Estimator.** Interpolated Witten–Bell smoothing. With `c(h, w)` the times `w` followed `h`,
/// `c(h) = Σ_w c(h, w)`, `t(h)` the number of distinct `w` with `c(h, w) > 0`, and `h′` the history
/// `h` without its oldest symbol:
///
///     P(w | h) = (c(h, w) + κ·t(h)·P(w | h′)) / (c(h) + κ·t(h))   (h seen)
///     P(w | h) = P(w | h′)                                          (h never seen)
///     P(w | ∅) = (c(∅, w) + κ·t(∅)/V) / (c(∅) + κ·t(∅))
///
/// so `λ_h = c(h) / (c(h) + κ·t(h))` of the weight stays on `h`'s own counts. The recursion ends in the
/// uniform distribution over the `V` symbols (every channel of the vocabulary, plus `END`): a
/// Dirichlet prior of total mass `κ·t(∅)` at the bottom, so every known channel has positive
/// probability. `κ` is `smoothingStrength` (default 1).
///
/// The vocabulary is the channel table of the store fitted (channels never touched in the fitted
/// journeys included); merges take the union by name.
///
/// **Time to next touch.** Every history state also keeps a histogram of the gaps (microseconds) from
/// its last touch to the next touch of the journey; see `gapQuantiles(after:)`.
public struct NextChannelModel: Sendable {
    /// The configuration the model was fitted with (`order` may be `.auto`; see `order` for the result).
    public private(set) var configuration: NextChannelConfiguration
    /// Symbols of history the model conditions on (the chosen one for an auto order).
    public private(set) var order: Int
    /// The vocabulary, in the model's numbering.
    public private(set) var channelNames: [String]
    private(set) var channelIndex: [String: Int]

    /// Histories, numbered; symbol `0` is the journey start, `c + 1` channel `c`.
    private(set) var histories: [ChainState]
    private(set) var historyIndex: [ChainState: Int32]
    /// Successors of history `h`: `successorStarts[h] ..< successorStarts[h + 1]` index
    /// `successorSymbols` (`0` = END, `c + 1` = channel `c`, ascending) and `successorCounts`.
    private(set) var successorStarts: [Int]
    private(set) var successorSymbols: [UInt16]
    private(set) var successorCounts: [Int]
    /// `c(h)`.
    private(set) var historyTotals: [Int]
    /// Gap histogram of history `h`: `gapStarts[h] ..< gapStarts[h + 1]` index `gapBins` (ascending,
    /// `TouchGapBins`) and `gapCounts`; `gapTotals[h]` gaps in all.
    private(set) var gapStarts: [Int]
    private(set) var gapBins: [UInt16]
    private(set) var gapCounts: [Int]
    private(set) var gapTotals: [Int]

    /// Number of distinct histories stored (all lengths `0...order`, the empty one included).
    public var historyCount: Int { histories.count }

    /// Symbols `V` of the smoothed distributions: the channels plus `END`.
    var symbolCount: Int { channelNames.count + 1 }
}

// MARK: - Fitting

/// A fitted next-channel model and how the fit went.
public struct NextChannelFit: Sendable {
    /// The model, fitted on every journey given.
    public var model: NextChannelModel
    /// The order chosen and, for an auto order, the held-out scores behind the choice.
    public var report: NextChannelFitReport
}

/// How a next-channel fit went.
public struct NextChannelFitReport: Sendable, Codable {
    /// One candidate order of an auto fit and its score on the held-out customers.
    public struct Candidate: Sendable, Codable {
        /// The order tried.
        public var order: Int
        /// Its next-touch predictions on the held-out customers' journeys, fitted on the others.
        public var heldOut: NextChannelEvaluation
    }

    /// The order of the model.
    public var order: Int
    /// Orders `1...maxOrder` for an auto order, in that order; empty for a fixed order.
    public var candidates: [Candidate]
    /// Customers trained on and held out while choosing an auto order (both 0 for a fixed order).
    public var trainingCustomers: Int
    /// Customers held out while choosing an auto order.
    public var heldOutCustomers: Int
    /// Journeys in the final fit.
    public var journeys: Int
    /// Next symbols (channels and `END`) counted in the final fit: one per touch, plus one per
    /// converted or lapsed journey.
    public var observations: Int
}

extension NextChannelModel {
    /// Fits the model on `journeys` (all of them: censored journeys count their transitions, not an end).
    ///
    /// A fixed order counts once. `.auto(maxOrder: k)` splits the customers (`CustomerSplit` with
    /// `heldOutFraction` and `seed`), fits order `k` on the training customers' journeys, scores orders
    /// `1...k` on the held-out customers' journeys (an order-`j` model is the order-`k` counts read to
    /// depth `j`: the counts of histories up to `j` symbols do not depend on the order), keeps the order
    /// with the lowest log-loss (the lower order on a tie) and refits it on all journeys.
    ///
    /// - Throws: `MarkovError` `.invalidConfiguration` naming every bad field; `.noData` when an auto
    ///   order finds no next touch among the held-out customers (use a fixed order or more data).
    /// - Complexity: O(events · order) dictionary updates; an auto order adds one fit and one evaluation
    ///   of O(predictions · order · channels).
    public static func fit(
        _ journeys: [Journey], in store: EventStore,
        configuration: NextChannelConfiguration = NextChannelConfiguration()
    ) throws(MarkovError) -> NextChannelFit {
        try configuration.validate()
        guard store.channelNames.count < Int(UInt16.max) else {
            throw MarkovError(.incompatible, "the next-channel model numbers at most 65,534 channels; the store has \(store.channelNames.count)")
        }
        switch configuration.order {
        case .fixed(let order):
            let model = counts(journeys, in: store, order: order, configuration: configuration, customers: nil)
            return NextChannelFit(
                model: model.model,
                report: NextChannelFitReport(
                    order: order, candidates: [], trainingCustomers: 0, heldOutCustomers: 0, journeys: model.journeys,
                    observations: model.observations))
        case .auto(let maxOrder):
            let split = CustomerSplit(store, heldOutFraction: configuration.heldOutFraction, seed: configuration.seed)
            var training = [Bool](repeating: false, count: store.customerCount)
            for c in split.training { training[c] = true }
            let trial = counts(journeys, in: store, order: maxOrder, configuration: configuration, customers: training)
            let scores = trial.model.evaluateOrders(
                journeys, in: store, customers: training.map { !$0 }, maxOrder: maxOrder)
            guard scores[0].predictions > 0 else {
                throw MarkovError(
                    .noData,
                    "order auto found no next touch to predict among \(split.heldOut.count) held-out customers of \(store.customerCount); use a fixed order, more customers or a larger heldOutFraction"
                )
            }
            var best = 0
            for k in scores.indices where scores[k].logLoss < scores[best].logLoss { best = k }
            let final = counts(journeys, in: store, order: best + 1, configuration: configuration, customers: nil)
            return NextChannelFit(
                model: final.model,
                report: NextChannelFitReport(
                    order: best + 1,
                    candidates: scores.enumerated().map { .init(order: $0.offset + 1, heldOut: $0.element) },
                    trainingCustomers: split.training.count, heldOutCustomers: split.heldOut.count,
                    journeys: final.journeys,
                    observations: final.observations))
        }
    }

    /// Counts the journeys of the customers in `customers` (all when nil) at `order`.
    static func counts(
        _ journeys: [Journey], in store: EventStore, order: Int, configuration: NextChannelConfiguration,
        customers: [Bool]?
    ) -> (model: NextChannelModel, journeys: Int, observations: Int) {
        var counts = NextChannelCounts(order: order, channelNames: Array(store.channelNames))
        var symbols: [UInt16] = []
        var fitted = 0
        var observations = 0
        for journey in journeys where customers?[journey.customer] ?? true {
            symbols.removeAll(keepingCapacity: true)
            symbols.append(0)
            for e in journey.events { symbols.append(store.channels[e] + 1) }
            observations += counts.add(
                symbols: symbols, ended: journey.outcome != .censored, timestamps: store.timestamps[journey.events])
            fitted += 1
        }
        return (counts.model(configuration: configuration), fitted, observations)
    }

    /// Adds `other`'s counts: afterwards the model is the fit on the union of both data sets (channels
    /// matched by name; the vocabulary becomes the union). Histories and gap histograms add exactly.
    ///
    /// - Throws: `MarkovError.incompatible` unless both have the same order, `smoothingStrength` and
    ///   `minimumGapCount`, or if the union has more than 65,534 channels.
    public mutating func merge(_ other: NextChannelModel) throws(MarkovError) {
        guard other.order == order, other.configuration.smoothingStrength == configuration.smoothingStrength,
            other.configuration.minimumGapCount == configuration.minimumGapCount
        else {
            throw MarkovError(
                .incompatible,
                "cannot merge a next-channel model of order \(other.order), smoothingStrength \(other.configuration.smoothingStrength), minimumGapCount \(other.configuration.minimumGapCount) into one of order \(order), smoothingStrength \(configuration.smoothingStrength), minimumGapCount \(configuration.minimumGapCount)"
            )
        }
        let union = Set(channelNames).union(other.channelNames).count
        guard union < Int(UInt16.max) else {
            throw MarkovError(.incompatible, "merged vocabulary would have \(union) channels; at most 65,534 fit")
        }
        var counts = NextChannelCounts(order: order, channelNames: channelNames)
        counts.add(self)
        counts.add(other)
        self = counts.model(configuration: configuration)
    }
}

/// Mutable counts while fitting or merging; `model(configuration:)` freezes them into compressed rows.
struct NextChannelCounts {
    let order: Int
    private(set) var channelNames: [String]
    private var channelIndex: [String: Int] = [:]
    private var histories: [ChainState] = []
    private var historyIndex: [ChainState: Int32] = [:]
    /// `history << 16 | successor` → count.
    private var transitions: [UInt64: Int] = [:]
    /// `history << 16 | gap bin` → count.
    private var gaps: [UInt64: Int] = [:]

    init(order: Int, channelNames: [String]) {
        precondition(channelNames.count < Int(UInt16.max), "at most 65,534 channels, got \(channelNames.count)")
        self.order = order
        self.channelNames = []
        for name in channelNames { _ = channelID(name) }
    }

    mutating func channelID(_ name: String) -> Int {
        if let id = channelIndex[name] { return id }
        channelNames.append(name)
        channelIndex[name] = channelNames.count - 1
        return channelNames.count - 1
    }

    @inline(__always)
    private mutating func historyID(_ history: ChainState) -> UInt64 {
        if let id = historyIndex[history] { return UInt64(id) }
        histories.append(history)
        historyIndex[history] = Int32(histories.count - 1)
        return UInt64(histories.count - 1)
    }

    /// Counts one journey: `symbols` is `[0]` followed by its channels plus one (this table's
    /// numbering); `timestamps` its touches' times. Returns the next symbols counted.
    mutating func add(symbols: [UInt16], ended: Bool, timestamps: ArraySlice<Int64>) -> Int {
        let n = symbols.count - 1
        let times = timestamps.startIndex
        var counted = 0
        for k in 0...n {
            let next: UInt64
            if k < n {
                next = UInt64(symbols[k + 1])
            } else if ended {
                next = 0
            } else {
                break
            }
            // The gap from touch k to touch k + 1, when both are touches of this journey.
            let bin =
                k >= 1 && k < n ? UInt64(TouchGapBins.bin(timestamps[times + k] - timestamps[times + k - 1])) : nil
            for j in 0...min(order, k + 1) {
                let id = historyID(ChainState(symbols: symbols[(k + 1 - j)..<(k + 1)]))
                transitions[id << 16 | next, default: 0] += 1
                if let bin { gaps[id << 16 | bin, default: 0] += 1 }
            }
            counted += 1
        }
        return counted
    }

    /// Adds a fitted model's counts, its channels matched to this table's by name.
    mutating func add(_ model: NextChannelModel) {
        var symbolMap: [UInt16] = [0]
        for name in model.channelNames { symbolMap.append(UInt16(channelID(name) + 1)) }
        var idMap: [UInt64] = []
        idMap.reserveCapacity(model.histories.count)
        for h in model.histories {
            idMap.append(historyID(ChainState(symbols: (0..<h.count).lazy.map { symbolMap[Int(h[$0])] })))
        }
        for h in model.histories.indices {
            let id = idMap[h]
            for e in model.successorStarts[h]..<model.successorStarts[h + 1] {
                transitions[id << 16 | UInt64(symbolMap[Int(model.successorSymbols[e])]), default: 0] +=
                    model.successorCounts[e]
            }
            for e in model.gapStarts[h]..<model.gapStarts[h + 1] {
                gaps[id << 16 | UInt64(model.gapBins[e]), default: 0] += model.gapCounts[e]
            }
        }
    }

    /// Freezes the counts: rows sorted by history number, then symbol or bin, so the same counts give
    /// the same rows whatever order they were added in.
    func model(configuration: NextChannelConfiguration) -> NextChannelModel {
        let (successorStarts, successorSymbols, successorCounts, historyTotals) = Self.rows(
            transitions, historyCount: histories.count)
        let (gapStarts, gapBins, gapCounts, gapTotals) = Self.rows(gaps, historyCount: histories.count)
        return NextChannelModel(
            configuration: configuration, order: order, channelNames: channelNames, channelIndex: channelIndex,
            histories: histories, historyIndex: historyIndex, successorStarts: successorStarts,
            successorSymbols: successorSymbols, successorCounts: successorCounts, historyTotals: historyTotals,
            gapStarts: gapStarts, gapBins: gapBins, gapCounts: gapCounts, gapTotals: gapTotals)
    }

    private static func rows(_ cells: [UInt64: Int], historyCount: Int) -> ([Int], [UInt16], [Int], [Int]) {
        let keys = cells.keys.sorted()
        var starts = [Int](repeating: 0, count: historyCount + 1)
        var columns: [UInt16] = []
        var counts: [Int] = []
        var totals = [Int](repeating: 0, count: historyCount)
        columns.reserveCapacity(keys.count)
        counts.reserveCapacity(keys.count)
        for key in keys {
            let row = Int(key >> 16)
            let count = cells[key]!
            columns.append(UInt16(truncatingIfNeeded: key))
            counts.append(count)
            starts[row + 1] += 1
            totals[row] += count
        }
        for h in 0..<historyCount { starts[h + 1] += starts[h] }
        return (starts, columns, counts, totals)
    }
}

// MARK: - Predicting

extension NextChannelModel {
    /// The smoothed distribution of the next channel after `history`, given that the journey goes on
    /// (`P(c | h) / (1 − P(END | h))`, which sums to 1 over the vocabulary), most likely first (ties in
    /// vocabulary order).
    ///
    /// `history` is the journey's channels so far, oldest first, from the journey's start (an empty
    /// history asks for the first touch). Only the last `order` symbols count. A channel outside the
    /// vocabulary cuts the history there: only the channels after it are used, without the start marker
    /// (down to the unigram `P(w | ∅)` when the last channel is unknown).
    ///
    /// - Complexity: O(order · channels).
    public func probabilities(after history: [String]) -> [(channel: String, probability: Double)] {
        guard !channelNames.isEmpty else { return [] }
        var p: [Double] = []
        distribution(after: context(of: history.map { channelIndex[$0] ?? -1 }), into: &p)
        let going = 1 - p[0]
        let ranked = channelNames.indices.sorted { p[$0 + 1] > p[$1 + 1] || (p[$0 + 1] == p[$1 + 1] && $0 < $1) }
        return ranked.map { (channelNames[$0], p[$0 + 1] / going) }
    }

    /// The smoothed probability that the journey ends (converts or lapses) right after `history`; the
    /// history is read as in `probabilities(after:)`. The next channel is `c` with probability
    /// `(1 − endProbability) · probabilities(after:)[c]`.
    public func endProbability(after history: [String]) -> Double {
        var p: [Double] = []
        distribution(after: context(of: history.map { channelIndex[$0] ?? -1 }), into: &p)
        return p[0]
    }

    /// Quantiles of the time from the last touch of `history` to the next touch of the journey.
    ///
    /// Uses the longest usable history state (as in `probabilities(after:)`) with at least
    /// `minimumGapCount` observed gaps, backing off one symbol at a time to the pooled gaps of every
    /// state (used if it has any). The gaps of a state are kept as a log-linear histogram (16 bins per
    /// doubling, see `TouchGapQuantiles`) rather than sorted values: histograms add, so `merge(_:)`
    /// stays exact, and a state costs one (bin, count) pair per occupied bin rather than one number per
    /// gap. The price is an error below 1/16 of the exact sample quantile.
    ///
    /// - Returns: nil when the model has seen no gap (no journey with two touches).
    public func gapQuantiles(after history: [String]) -> TouchGapQuantiles? {
        gapQuantiles(after: context(of: history.map { channelIndex[$0] ?? -1 }))
    }

    /// The model's number of each channel name (-1 for one outside the vocabulary), so a caller that
    /// numbers channels its own way maps its numbers once and asks without names.
    package func channelIndices(of names: [String]) -> [Int] {
        names.map { channelIndex[$0] ?? -1 }
    }

    /// Calls `body` with the first `limit` entries of `probabilities(after:)`, in order, and returns
    /// `endProbability(after:)`, for the context of a history (`context(of:)`) in one pass; `p` is
    /// scratch space. Allocates nothing.
    package func forecast(
        after context: ChainState, limit: Int, scratch p: inout [Double], _ body: (_ channel: String, _ probability: Double) -> Void
    ) -> Double {
        distribution(after: context, into: &p)
        let going = 1 - p[0]
        // The `limit` most likely, kept sorted (ties: vocabulary order) as the full sort would give them.
        let kept = min(max(0, limit), channelNames.count)
        guard kept > 0 else { return p[0] }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: kept) { top in
            var found = 0
            for c in channelNames.indices {
                guard found < kept || p[c + 1] > p[top[kept - 1] + 1] else { continue }
                var k = found < kept ? found : kept - 1
                if found < kept { found += 1 }
                while k > 0 && p[c + 1] > p[top[k - 1] + 1] {
                    top[k] = top[k - 1]
                    k -= 1
                }
                top[k] = c
            }
            for k in 0..<found { body(channelNames[top[k]], p[top[k] + 1] / going) }
        }
        return p[0]
    }

    /// `gapQuantiles(after:)` for the context of a history (`context(of:)`).
    package func gapQuantiles(after context: ChainState) -> TouchGapQuantiles? {
        gapHistogram(after: context).map { TouchGapBins.quantiles(historyLength: $0.length, bins: $0.bins, counts: $0.counts, total: $0.total) }
    }

    /// `gapQuantiles(after: context)?.p50` without the other quantiles (what a scorer reports).
    package func gapMedian(after context: ChainState) -> Double? {
        gapHistogram(after: context).map { TouchGapBins.quantile(0.5, bins: $0.bins, counts: $0.counts, total: $0.total) }
    }

    /// The gap histogram the quantiles after `context` come from: its longest history with enough gaps.
    private func gapHistogram(after context: ChainState) -> (length: Int, bins: ArraySlice<UInt16>, counts: ArraySlice<Int>, total: Int)? {
        for j in stride(from: context.count, through: 0, by: -1) {
            guard let h = historyIndex[context.keepingLast(j)].map(Int.init) else { continue }
            let total = gapTotals[h]
            guard total >= configuration.minimumGapCount || (j == 0 && total > 0) else { continue }
            let row = gapStarts[h]..<gapStarts[h + 1]
            return (j, gapBins[row], gapCounts[row], total)
        }
        return nil
    }

    /// The longest usable history: the last `order` symbols of `S` followed by `channels` (model
    /// numbering; a negative id is unknown), cut after the last unknown channel (no `S` then).
    package func context(of channels: [Int]) -> ChainState {
        // At most `order` symbols, newest first, in stack space (this runs for every customer scored).
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: order + 1) { reversed in
            var count = 0
            var reachedStart = true
            for c in channels.reversed() {
                guard c >= 0 else {
                    reachedStart = false
                    break
                }
                guard count < order else {
                    reachedStart = false
                    break
                }
                reversed[count] = UInt16(c + 1)
                count += 1
            }
            if reachedStart && count < order {
                reversed[count] = 0
                count += 1
            }
            return ChainState(symbols: UnsafeBufferPointer(rebasing: reversed[..<count]).reversed())
        }
    }

    /// Fills `p` with `P(w | context)` for the `V` symbols (`p[0]` END, `p[c + 1]` channel `c`), by the
    /// Witten–Bell recursion from `∅` up to the whole context. `level(j, p)` is called after length `j`
    /// has been mixed in (unseen lengths leave `p` as it was).
    func distribution(after context: ChainState, into p: inout [Double], level: (Int, [Double]) -> Void = { _, _ in }) {
        let uniform = 1 / Double(symbolCount)
        p.removeAll(keepingCapacity: true)
        p.append(contentsOf: repeatElement(uniform, count: symbolCount))
        var seen = true
        for j in 0...context.count {
            if seen, let h = historyIndex[context.keepingLast(j)].map(Int.init) {
                let row = successorStarts[h]..<successorStarts[h + 1]
                let total = Double(historyTotals[h])
                let backoff = configuration.smoothingStrength * Double(row.count)
                let scale = backoff / (total + backoff)
                for w in p.indices { p[w] *= scale }
                for e in row { p[Int(successorSymbols[e])] += Double(successorCounts[e]) / (total + backoff) }
            } else {
                // A history never seen has no longer extension seen either.
                seen = false
            }
            level(j, p)
        }
    }
}

extension ChainState {
    /// The last `length` symbols.
    func keepingLast(_ length: Int) -> ChainState {
        ChainState(symbols: (count - length..<count).lazy.map { self[$0] })
    }
}
