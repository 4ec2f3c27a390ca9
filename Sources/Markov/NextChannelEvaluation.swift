#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Journeys

/// How well a next-channel model predicts the touches of some journeys.
///
/// Every touch after the first of each journey is one prediction: touch `i + 1` from touches `1...i`
/// of the same journey. The model's distribution is taken given that the journey goes on (the
/// distribution of `probabilities(after:)`); ties rank in vocabulary order.
public struct NextChannelEvaluation: Sendable, Codable {
    /// Touches predicted.
    public var predictions: Int
    /// Share of predictions whose most likely channel was the one touched (NaN without predictions).
    public var top1Accuracy: Double
    /// Share of predictions with the touched channel among the three most likely (NaN without predictions).
    public var top3Accuracy: Double
    /// Mean of `−ln P(touched channel | history)` (NaN without predictions).
    public var logLoss: Double
    /// Touches on channels outside the model's vocabulary: no probability to score, so left out of
    /// `predictions` and the metrics (they still cut the history of the touches after them).
    public var unknownChannels: Int
}

/// A deterministic split of a store's customers by a hash of their ids: the same ids and seed give the
/// same split in every process and store, whatever order the customers come in.
///
/// Customer `id` is held out when `u(id) < heldOutFraction`, with `u` the top 53 bits of
/// SplitMix64's finalizer applied to FNV-1a-64 of the id's UTF-8 bytes xor a seed-derived key, read as
/// a number in [0, 1).
public struct CustomerSplit: Sendable, Hashable {
    /// Customer numbers (store order) used for fitting.
    public var training: [Int]
    /// Customer numbers (store order) held out for evaluation.
    public var heldOut: [Int]

    /// Splits every customer of `store`.
    ///
    /// - Precondition: `heldOutFraction` in 0...1.
    public init(_ store: EventStore, heldOutFraction: Double, seed: UInt64 = 0) {
        precondition((0...1).contains(heldOutFraction), "heldOutFraction must be in 0...1, got \(heldOutFraction)")
        training = []
        heldOut = []
        for c in 0..<store.customerCount {
            if Self.unit(store.customerIDs[c], seed: seed) < heldOutFraction {
                heldOut.append(c)
            } else {
                training.append(c)
            }
        }
    }

    /// The id's position in [0, 1).
    static func unit(_ id: String, seed: UInt64) -> Double {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var z = h ^ (seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x6A09_E667_F3BC_C909)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-53
    }
}

extension NextChannelModel {
    /// Scores the model's next-touch predictions on the journeys of `customers` (other journeys are
    /// skipped): top-1 and top-3 accuracy and mean log-loss (natural log). See `NextChannelEvaluation`.
    ///
    /// Fit on other customers (`CustomerSplit`) for an honest score.
    ///
    /// - Complexity: O(predictions · order · channels).
    public func evaluate(_ journeys: [Journey], in store: EventStore, customers: some Sequence<Int>)
        -> NextChannelEvaluation
    {
        var mask = [Bool](repeating: false, count: store.customerCount)
        for c in customers {
            precondition(mask.indices.contains(c), "customer \(c) is not in the store's 0..<\(mask.count)")
            mask[c] = true
        }
        return evaluateOrders(journeys, in: store, customers: mask, maxOrder: order)[order - 1]
    }

    /// Scores orders `1...maxOrder` (≤ `order`) at once: order `k` reads the counts to depth `k`, which
    /// is the order-`k` model, since the counts of histories up to `k` symbols do not depend on the order.
    func evaluateOrders(_ journeys: [Journey], in store: EventStore, customers: [Bool], maxOrder: Int)
        -> [NextChannelEvaluation]
    {
        precondition(maxOrder <= order, "cannot score order \(maxOrder) from counts of order \(order)")
        let ids = store.channelNames.map { channelIndex[$0] ?? -1 }
        var scored = 0
        var unknown = 0
        var top1 = [Int](repeating: 0, count: maxOrder)
        var top3 = [Int](repeating: 0, count: maxOrder)
        var loss = [Double](repeating: 0, count: maxOrder)
        var history: [Int] = []
        var p: [Double] = []
        for journey in journeys where customers[journey.customer] && journey.events.count > 1 {
            history.removeAll(keepingCapacity: true)
            for e in journey.events {
                let target = ids[Int(store.channels[e])]
                defer { history.append(target) }
                guard !history.isEmpty else { continue }
                guard target >= 0 else {
                    unknown += 1
                    continue
                }
                scored += 1
                let context = context(of: history.suffix(order))
                let depth = context.count
                distribution(after: context, into: &p) { j, p in
                    // Order k reads depth min(k, depth): k = j below the full depth, every k ≥ j at it.
                    let lowest = max(1, j)
                    guard (j == depth || j >= 1) && lowest <= maxOrder else { return }
                    let orders = lowest...(j == depth ? maxOrder : j)
                    let q = p[target + 1]
                    var rank = 0
                    for c in 0..<(p.count - 1) where p[c + 1] > q || (p[c + 1] == q && c < target) { rank += 1 }
                    let logLoss = -log(q / (1 - p[0]))
                    for k in orders {
                        if rank == 0 { top1[k - 1] += 1 }
                        if rank < 3 { top3[k - 1] += 1 }
                        loss[k - 1] += logLoss
                    }
                }
            }
        }
        let n = Double(scored)
        return (0..<maxOrder).map { k in
            NextChannelEvaluation(
                predictions: scored, top1Accuracy: Double(top1[k]) / n, top3Accuracy: Double(top3[k]) / n,
                logLoss: loss[k] / n, unknownChannels: unknown)
        }
    }
}
