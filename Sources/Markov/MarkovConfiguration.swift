/// How a Markov journey model turns touch sequences into chain states.
public enum StateSemantics: String, Sendable, Codable, CaseIterable {
    /// Waypoint's default: the state after a touch is the last `order` channels touched, repeats
    /// included; the first touches of a journey pad the history with the start state. Repeats are
    /// real touches (a second email is information), and the chain predicts the next touch of any
    /// history, including "the same channel again".
    case history
    /// ChannelAttribution's `markov_model`: the states are the sliding windows of `order` channels (a
    /// path shorter than `order` is one state), consecutive identical windows are collapsed (no
    /// self-loops), and removing a channel removes every state that contains it. For parity checks.
    case channelAttribution = "channel-attribution"
}

/// Hyper-parameters of a Markov journey model. Every field has a default.
public struct MarkovConfiguration: Sendable, Codable, Hashable {
    /// Channels of history in a state: 1...6. Default 1.
    public var order = 1
    /// How touch sequences become chain states. Default `.history`.
    public var semantics = StateSemantics.history

    /// A configuration; every argument has the default documented on its property. `order` is
    /// checked when counts are created (`TransitionCounts.init(configuration:)`).
    public init(order: Int = 1, semantics: StateSemantics = .history) {
        self.order = order
        self.semantics = semantics
    }

    static let maxOrder = 6

    func validate() throws(MarkovError) {
        guard (1...Self.maxOrder).contains(order) else {
            throw MarkovError(.invalidConfiguration, "order must be 1...\(Self.maxOrder), got \(order)")
        }
    }
}

/// The one error the Markov module throws.
public struct MarkovError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem this is. New codes may be added; switch with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: String, Sendable { case invalidConfiguration, noData, incompatible, solverFailed }
        let kind: Kind
        /// The code's name, such as `noData`.
        public var description: String { kind.rawValue }
        /// A configuration value out of range.
        public static let invalidConfiguration = Code(kind: .invalidConfiguration)
        /// Nothing to fit: no completed journeys or paths.
        public static let noData = Code(kind: .noData)
        /// Counts of different orders or semantics cannot be merged.
        public static let incompatible = Code(kind: .incompatible)
        /// The absorbing-chain solve did not reach its tolerance.
        public static let solverFailed = Code(kind: .solverFailed)
    }

    /// What kind of problem this is, to branch on.
    public var code: Code
    /// What is wrong and, where it helps, what to do about it.
    public var message: String
    /// The `message`.
    public var description: String { message }

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
