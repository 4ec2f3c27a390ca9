/// Conversion probabilities of every state of a fitted chain, solved once, for scoring one customer at
/// a time: what a journey so far is worth, and which next touch would raise it most.
///
/// ```swift
/// let table = try model.conversionTable()
/// table.probability(after: ["email", "web"]).probability   // P(the journey converts)
/// table.channelAdvice(after: ["email", "web"]).first       // the next channel that helps most
/// ```
public struct MarkovConversionTable: Sendable {
    /// P(conversion) from each state of `chain`, the start state first.
    let probabilities: [Double]
    let chain: TransitionCounts
    /// The chain's channel ids by name.
    let channelIDs: [String: UInt16]
    /// Per state: the channel of its best advice (`bestAdvice(from:)`) and the state it leads to, or
    /// channel -1 when no next state was seen. Made once, so a scorer's advice is one array read
    /// instead of a hash lookup per channel.
    let bestAdvice: [(channel: Int32, state: Int32)]

    init(probabilities: [Double], chain: TransitionCounts, channelIDs: [String: UInt16]) {
        self.probabilities = probabilities
        self.chain = chain
        self.channelIDs = channelIDs
        var best = [(channel: Int32, state: Int32)](repeating: (-1, -1), count: probabilities.count)
        for (index, state) in chain.states.enumerated() {
            var found: (channel: Int, state: Int, gain: Double)?
            Self.forEachSuccessor(of: state, now: probabilities[index], chain: chain, probabilities: probabilities) { channel, next, gain in
                if found == nil || gain > found!.gain { found = (channel, next, gain) }
            }
            if let found { best[index] = (Int32(found.channel), Int32(found.state)) }
        }
        bestAdvice = best
    }

    /// The channels the chain knows, in its order.
    public var channelNames: [String] { chain.channelNames }

    /// P(conversion) of a journey that has not touched anything yet (the start state).
    public var startProbability: Double { probabilities[0] }

    /// Where a journey so far ends up in the chain.
    public struct Lookup: Sendable, Equatable {
        /// P(the journey eventually converts) from its current state; the start state's probability when
        /// `known` is false.
        public var probability: Double
        /// False when the journey's state was never seen in training, or it touched a channel the
        /// chain does not know.
        public var known: Bool
    }

    /// P(conversion) from the state a journey reaches after touching `path` (oldest first, the whole
    /// current journey; with the default `history` semantics only the last `order` touches and whether
    /// there were fewer than `order` matter).
    ///
    /// - Complexity: O(order) hashing; no solve.
    public func probability(after path: some Collection<String>) -> Lookup {
        position(after: path.map { channelIDs[$0].map(Int.init) ?? -1 }).lookup
    }

    /// One candidate next touch and what it would do to the journey's conversion probability.
    public struct Advice: Sendable, Equatable {
        /// The channel to touch next.
        public var channel: String
        /// P(conversion) after that touch.
        public var probability: Double
        /// `probability` minus the journey's probability now.
        public var gain: Double
    }

    /// For each channel whose next state was seen in training, P(conversion) after touching it next and
    /// the gain over now, best gain first (ties in channel order). Empty when the journey's own state is
    /// unknown, because there is then no "now" to compare with.
    public func channelAdvice(after path: [String]) -> [Advice] {
        var advice: [Advice] = []
        forEachAdvice(from: position(after: path.map { channelIDs[$0].map(Int.init) ?? -1 })) { advice.append($0) }
        // Stable sort: equal gains keep the chain's channel order.
        return advice.enumerated().sorted { $0.element.gain != $1.element.gain ? $0.element.gain > $1.element.gain : $0.offset < $1.offset }
            .map(\.element)
    }

    /// Where a journey stands in the chain: its lookup and, when known, its state (for the advice).
    package struct Position: Sendable {
        /// P(conversion) from the journey's state and whether the state is known.
        package var lookup: Lookup
        let state: ChainState?
        /// The state's number in the chain, when known.
        let index: Int?
    }

    /// The chain's channel id of each name (-1 for a channel the chain does not know), so a caller
    /// that numbers channels its own way can map its numbers once and look journeys up without names.
    package func channelIDs(of names: [String]) -> [Int] {
        names.map { channelIDs[$0].map(Int.init) ?? -1 }
    }

    /// The position after `path`, given as chain channel ids (`channelIDs(of:)`; negative: unknown).
    package func position(after path: [Int]) -> Position {
        if path.isEmpty {
            // The start state (number 0), whatever the semantics' padding.
            return Position(lookup: Lookup(probability: probabilities[0], known: true), state: chain.finalChainState(of: [] as [UInt16]), index: 0)
        }
        let unknown = Position(lookup: Lookup(probability: probabilities[0], known: false), state: nil, index: nil)
        guard !path.contains(where: { $0 < 0 }) else { return unknown }
        let state = chain.finalChainState(of: path.lazy.map { UInt16($0) })
        guard let index = chain.index(of: state) else { return unknown }
        return Position(lookup: Lookup(probability: probabilities[index], known: true), state: state, index: index)
    }

    /// The first entry of `channelAdvice(after:)` for the journey at `position`: the largest gain, the
    /// earliest channel among equal ones; nil when the position is unknown or no next state was seen.
    package func bestAdvice(from position: Position) -> Advice? {
        guard let index = position.index, case let (c, next) = bestAdvice[index], c >= 0 else { return nil }
        let probability = probabilities[Int(next)]
        return Advice(channel: chain.channelNames[Int(c)], probability: probability, gain: probability - position.lookup.probability)
    }

    /// Calls `body` with the advice for each channel whose next state was seen, in channel order.
    /// The state after touching channel `c` is the position's state with `c` appended (the oldest
    /// symbol dropping out at `order`), under either state semantics.
    private func forEachAdvice(from position: Position, _ body: (Advice) -> Void) {
        guard let state = position.state else { return }
        Self.forEachSuccessor(of: state, now: position.lookup.probability, chain: chain, probabilities: probabilities) { c, next, gain in
            body(Advice(channel: chain.channelNames[c], probability: probabilities[next], gain: gain))
        }
    }

    /// Calls `body(channel, the state after it, its P(conversion) − now)` for each channel whose next
    /// state after `state` was seen, in channel order.
    private static func forEachSuccessor(
        of state: ChainState, now: Double, chain: TransitionCounts, probabilities: [Double], _ body: (Int, Int, Double) -> Void
    ) {
        let order = chain.configuration.order
        for c in chain.channelNames.indices {
            if let next = chain.index(of: state.appending(UInt16(c + 1), order: order)) {
                body(c, next, probabilities[next] - now)
            }
        }
    }
}

extension MarkovModel {
    /// Solves the absorbing chain once and keeps every state's conversion probability.
    ///
    /// - Throws: `MarkovError` `.solverFailed` if the absorbing chain cannot be solved.
    public func conversionTable() throws(MarkovError) -> MarkovConversionTable {
        let probabilities = try AbsorbingChain(chain).conversionProbabilities()
        var ids: [String: UInt16] = [:]
        for (i, name) in chain.channelNames.enumerated() { ids[name] = UInt16(i) }
        return MarkovConversionTable(probabilities: probabilities, chain: chain, channelIDs: ids)
    }
}

import Foundation

extension MarkovModel {
    /// The model as `save(to:)` writes it: version-1 JSON with sorted keys, Doubles in shortest
    /// round-trip form (a load gives back the same model bit for bit).
    ///
    /// - Throws: `EncodingError` if a number is not finite.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(MarkovModelV1(model: self))
    }

    /// Reads a model from the bytes `jsonData()` or `save(to:)` wrote; `source` names them in errors.
    ///
    /// - Throws: `MarkovError.incompatible` for another format, a newer version, bytes that are not JSON
    ///   with a format header (truncated), or a body whose columns do not fit together; `DecodingError`
    ///   for missing or mistyped fields.
    public init(jsonData data: Data, source: String) throws {
        struct Header: Decodable {
            var format: String
            var version: Int
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch DecodingError.keyNotFound {
            throw MarkovError(.incompatible, "\(source) is not a Waypoint Markov model (no format header)")
        } catch {
            throw MarkovError(.incompatible, "\(source) is not valid JSON (truncated or damaged?)")
        }
        guard header.format == Self.format else {
            throw MarkovError(.incompatible, "\(source) holds a '\(header.format)' file, expected '\(Self.format)'")
        }
        guard header.version <= Self.formatVersion else {
            throw MarkovError(
                .incompatible, "\(source) is format version \(header.version); this build reads up to \(Self.formatVersion): update Waypoint")
        }
        self = try JSONDecoder().decode(MarkovModelV1.self, from: data).model()
    }
}
