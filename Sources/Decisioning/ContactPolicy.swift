/// At most ``maxContacts`` contacts within any trailing window of ``windowDays`` days.
public struct ContactLimit: Sendable, Codable, Hashable {
    /// The most contacts allowed inside the window, ≥ 1.
    public var maxContacts: Int
    /// The window's length in days, > 0 (fractions allowed: 0.5 is twelve hours).
    public var windowDays: Double

    /// A limit of `maxContacts` per `windowDays` days.
    public init(maxContacts: Int, windowDays: Double) {
        self.maxContacts = maxContacts
        self.windowDays = windowDays
    }
}

/// One past contact of a customer: when, on which channel, by which action.
public struct ContactRecord: Sendable, Codable, Hashable {
    /// Unix time of the contact, in seconds.
    public var time: Int64
    /// The channel it was made on.
    public var channel: String
    /// The catalog action that made it.
    public var actionID: String

    /// A contact by `actionID` on `channel` at Unix time `time` (seconds).
    public init(time: Int64, channel: String, actionID: String) {
        self.time = time
        self.channel = channel
        self.actionID = actionID
    }
}

/// Why an action may not be offered now.
public enum ContactBlockReason: Sendable, Hashable, CustomStringConvertible {
    /// The customer unsubscribed from the action's channel.
    case suppressed(channel: String)
    /// The action itself already reached its own limit (``CatalogAction/limit``) inside the window.
    case actionLimit(actionID: String, contacts: Int, limit: ContactLimit)
    /// The channel already reached the catalog's per-channel limit inside the window.
    case channelLimit(channel: String, contacts: Int, limit: ContactLimit)
    /// The last contact (any action, any channel) is less than the cooldown ago.
    case cooldown(lastContact: Int64, cooldownDays: Double)
    /// The customer already had `contacts` contacts in the last 7 days, the catalog's weekly cap.
    case weeklyCap(contacts: Int, cap: Int)

    /// One sentence, such as `channel 'email' had 2 contacts in the last 7 days (limit 2)`.
    public var description: String {
        switch self {
        case .suppressed(let channel):
            "the customer unsubscribed from channel '\(channel)'"
        case .actionLimit(let id, let contacts, let limit):
            "action '\(id)' had \(contacts) contacts in the last \(limit.windowDays) days (limit \(limit.maxContacts))"
        case .channelLimit(let channel, let contacts, let limit):
            "channel '\(channel)' had \(contacts) contacts in the last \(limit.windowDays) days (limit \(limit.maxContacts))"
        case .cooldown(let last, let days):
            "the last contact, at Unix time \(last), is within the \(days)-day cooldown"
        case .weeklyCap(let contacts, let cap):
            "the customer had \(contacts) contacts in the last 7 days (weekly cap \(cap))"
        }
    }
}

/// Whether an action may be offered now.
public enum ContactDecision: Sendable, Hashable {
    /// Nothing in the contact policy or the suppressions forbids it.
    case allowed
    /// The first rule that forbids it.
    case blocked(ContactBlockReason)

    /// Whether the decision is ``allowed``.
    public var isAllowed: Bool { self == .allowed }
}

/// The catalog's contact rules: at most N contacts per channel per window, a cooldown after any contact,
/// a global weekly cap; and each action's own limit (``CatalogAction/limit``).
///
/// A past contact at time `t` counts for a window of `W` days at time `now` when `now − W·86400 < t ≤ now`;
/// contacts after `now` are not counted (the history is the past as of `now`). Every field is optional:
/// `nil` means no such rule.
public struct ContactPolicy: Sendable, Codable, Hashable {
    /// At most this many contacts on any one channel within the window, or no per-channel limit.
    public var channelLimit: ContactLimit?
    /// No new contact until this many days after the last contact (any channel), or no cooldown.
    public var cooldownDays: Double?
    /// At most this many contacts (all channels) within any 7 days, or no cap.
    public var weeklyCap: Int?

    /// A policy with the given rules; the default has none.
    public init(channelLimit: ContactLimit? = nil, cooldownDays: Double? = nil, weeklyCap: Int? = nil) {
        self.channelLimit = channelLimit
        self.cooldownDays = cooldownDays
        self.weeklyCap = weeklyCap
    }

    /// Whether `action` may be offered at `now` to a customer with these past contacts and suppressions.
    ///
    /// Checks, in order: suppression of the action's channel, the action's own limit, the per-channel limit,
    /// the cooldown and the weekly cap, and returns the first that forbids the contact.
    ///
    /// - Parameters:
    ///   - action: the candidate action.
    ///   - history: the customer's past contacts, in any order.
    ///   - now: Unix time of the decision, in seconds.
    ///   - suppressedChannels: channels the customer unsubscribed from.
    /// - Complexity: O(history.count).
    public func allows(
        _ action: CatalogAction, history: [ContactRecord], now: Int64, suppressedChannels: Set<String> = []
    ) -> ContactDecision {
        if !suppressedChannels.isEmpty && suppressedChannels.contains(action.channel) { return .blocked(.suppressed(channel: action.channel)) }
        if let limit = action.limit {
            let count = Self.count(history, now: now, days: limit.windowDays) { $0.actionID == action.id }
            if count >= limit.maxContacts {
                return .blocked(.actionLimit(actionID: action.id, contacts: count, limit: limit))
            }
        }
        if let limit = channelLimit {
            let count = Self.count(history, now: now, days: limit.windowDays) { $0.channel == action.channel }
            if count >= limit.maxContacts {
                return .blocked(.channelLimit(channel: action.channel, contacts: count, limit: limit))
            }
        }
        if let days = cooldownDays, days > 0 {
            let start = Self.windowStart(now: now, days: days)
            if let last = history.lazy.filter({ $0.time > start && $0.time <= now }).map(\.time).max() {
                return .blocked(.cooldown(lastContact: last, cooldownDays: days))
            }
        }
        if let cap = weeklyCap {
            let count = Self.count(history, now: now, days: 7) { _ in true }
            if count >= cap { return .blocked(.weeklyCap(contacts: count, cap: cap)) }
        }
        return .allowed
    }

    /// The exclusive start `now − days·86400` of a trailing window, the length rounded up to whole seconds.
    static func windowStart(now: Int64, days: Double) -> Int64 {
        let seconds = (days * 86_400).rounded(.up)
        return seconds >= Double(Int64.max / 2) ? Int64.min : now - Int64(seconds)
    }

    static func count(
        _ history: [ContactRecord], now: Int64, days: Double, _ matches: (ContactRecord) -> Bool
    ) -> Int {
        let start = windowStart(now: now, days: days)
        var count = 0
        for record in history where record.time > start && record.time <= now && matches(record) { count += 1 }
        return count
    }
}
