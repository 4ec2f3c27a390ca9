/// Hyper-parameters of a next-channel model. Every field has a default.
///
/// ```swift
/// let fit = try NextChannelModel.fit(journeys, in: store, configuration: .init(order: 3))
/// let auto = try NextChannelModel.fit(journeys, in: store)   // order picked on held-out customers
/// ```
public struct NextChannelConfiguration: Sendable, Codable, Hashable {
    /// How many channels of history the model conditions on.
    public enum Order: Sendable, Codable, Hashable, ExpressibleByIntegerLiteral {
        /// Exactly this many symbols of history, 1...6.
        case fixed(Int)
        /// Fits orders `1...maxOrder` (at most 6) on the training customers of a `CustomerSplit`,
        /// keeps the one with the lowest held-out log-loss and refits it on all journeys.
        case auto(maxOrder: Int = 4)

        /// `3` means `.fixed(3)`.
        public init(integerLiteral value: Int) { self = .fixed(value) }
    }

    /// Default `.auto(maxOrder: 4)`: the data decide, at the cost of five fits.
    public var order: Order = .auto()
    /// κ of the Witten–Bell interpolation: a history `h` seen `c(h)` times with `t(h)` distinct
    /// successors keeps weight `λ_h = c(h) / (c(h) + κ·t(h))` on its own counts. Default 1 (Witten
    /// and Bell's original); larger values smooth more towards shorter histories.
    public var smoothingStrength = 1.0
    /// A history state's own gap distribution is used once it has this many observed gaps; below,
    /// `gapQuantiles(after:)` backs off to shorter histories. Default 20: enough for the 10% and 90%
    /// quantiles to rest on two observations each.
    public var minimumGapCount = 20
    /// Share of customers held out to choose the order under `.auto`. Default 0.2.
    public var heldOutFraction = 0.2
    /// Seed of the held-out split under `.auto`.
    public var seed: UInt64 = 0

    /// A configuration; every argument has the default documented on its property.
    public init(
        order: Order = .auto(), smoothingStrength: Double = 1, minimumGapCount: Int = 20, heldOutFraction: Double = 0.2,
        seed: UInt64 = 0
    ) {
        self.order = order
        self.smoothingStrength = smoothingStrength
        self.minimumGapCount = minimumGapCount
        self.heldOutFraction = heldOutFraction
        self.seed = seed
    }

    /// Checks every field, reporting all problems at once.
    func validate() throws(MarkovError) {
        var problems: [String] = []
        let maxOrder = MarkovConfiguration.maxOrder
        switch order {
        case .fixed(let k):
            if !(1...maxOrder).contains(k) { problems.append("order must be 1...\(maxOrder), got \(k)") }
        case .auto(let k):
            if !(1...maxOrder).contains(k) {
                problems.append("auto order's maxOrder must be 1...\(maxOrder), got \(k)")
            }
            if !(heldOutFraction > 0 && heldOutFraction < 1) {
                problems.append("heldOutFraction must be in (0, 1) for an auto order, got \(heldOutFraction)")
            }
        }
        if !(smoothingStrength > 0 && smoothingStrength.isFinite) {
            problems.append("smoothingStrength must be > 0 and finite, got \(smoothingStrength)")
        }
        if minimumGapCount < 1 { problems.append("minimumGapCount must be ≥ 1, got \(minimumGapCount)") }
        guard problems.isEmpty else { throw MarkovError(.invalidConfiguration, problems.joined(separator: "; ")) }
    }
}
