import Foundation

/// One intervention the business can make: delivered on a channel, at a cost, aiming at an outcome worth
/// ``value``, offered only when its ``eligibility`` rule holds and its own ``limit`` allows.
public struct CatalogAction: Sendable, Codable, Hashable {
    /// Unique within the catalog; never `none` (the implicit "no action").
    public var id: String
    /// The channel that delivers it (`email`, `sms`, …).
    public var channel: String
    /// What making it costs, ≥ 0, in the unit of ``value``.
    public var cost: Double
    /// What the outcome it targets is worth (a conversion's value, the customer value saved from churn), ≥ 0.
    public var value: Double
    /// Offered only to customers for whom this rule holds; `nil`: to everyone.
    public var eligibility: RuleExpression?
    /// At most so many contacts by this very action within its window; `nil`: no own limit.
    public var limit: ContactLimit?

    /// An action with every field given.
    public init(
        id: String, channel: String, cost: Double, value: Double, eligibility: RuleExpression? = nil,
        limit: ContactLimit? = nil
    ) {
        self.id = id
        self.channel = channel
        self.cost = cost
        self.value = value
        self.eligibility = eligibility
        self.limit = limit
    }
}

/// The actions a next-best-action decision chooses from, and the contact rules over them.
///
/// A "no action" baseline always exists implicitly: id ``noActionID`` (`none`), cost 0, never blocked.
///
/// The JSON form (``init(json:knownChannels:ruleNames:)``):
///
/// ```json
/// {
///   "channels": ["email", "sms", "push"],
///   "contactPolicy": { "channelLimit": { "maxContacts": 2, "windowDays": 7 }, "cooldownDays": 1, "weeklyCap": 3 },
///   "actions": [
///     { "id": "email_discount10", "channel": "email", "cost": 2, "value": 60,
///       "eligibility": "churn_probability > 0.3 and `segment=loyalist` == 0",
///       "limit": { "maxContacts": 1, "windowDays": 30 } }
///   ]
/// }
/// ```
///
/// `channels` and `contactPolicy` are optional; so are each action's `eligibility` and `limit`.
public struct ActionCatalog: Sendable, Codable, Hashable {
    /// The id of the implicit "no action" baseline: `none`.
    public static let noActionID = "none"

    /// The actions, in catalog order (the order that breaks ties).
    public let actions: [CatalogAction]
    /// The contact rules applied to every action.
    public let contactPolicy: ContactPolicy
    /// The channels actions may use, or `nil` to accept any channel.
    public let channels: [String]?

    /// A validated catalog.
    ///
    /// - Parameters:
    ///   - knownChannels: when given, every action's channel must be one of them (as must the catalog's
    ///     own `channels`, when it has them).
    ///   - ruleNames: when given, every eligibility rule must compile against these names (features and
    ///     model outputs).
    /// - Throws: ``DecisioningError`` `.invalidCatalog` listing every problem in
    ///   ``DecisioningError/problems``, each with its action id, field and (for rules) column.
    public init(
        actions: [CatalogAction], contactPolicy: ContactPolicy = .init(), channels: [String]? = nil,
        knownChannels: [String]? = nil, ruleNames: [String]? = nil
    ) throws {
        self.actions = actions
        self.contactPolicy = contactPolicy
        self.channels = channels
        let problems = validationProblems(knownChannels: knownChannels, ruleNames: ruleNames)
        if !problems.isEmpty { throw Self.error(problems) }
    }

    /// Decodes and validates a catalog from JSON (see the type's documentation for the format).
    ///
    /// Missing fields, wrong types, duplicate ids, the reserved id `none`, negative or non-finite costs and
    /// values, unknown channels, malformed limits, and rules with syntax errors or unknown names are all
    /// reported at once, each with the action id (or its position when the id is missing) and field.
    ///
    /// - Parameters:
    ///   - json: the catalog document.
    ///   - knownChannels: when given, every channel must be one of them.
    ///   - ruleNames: when given, every eligibility rule must compile against these names.
    /// - Throws: ``DecisioningError`` `.invalidCatalog` with every problem in ``DecisioningError/problems``.
    public init(json: Data, knownChannels: [String]? = nil, ruleNames: [String]? = nil) throws {
        let document: CatalogDocument
        do {
            document = try JSONDecoder().decode(CatalogDocument.self, from: json)
        } catch let error as DecodingError {
            let (path, reason) = Self.describe(error)
            throw DecisioningError(
                .invalidCatalog, "field '\(path)': \(reason)",
                problems: [.init(actionID: nil, field: path, message: reason)], cause: error)
        }
        var problems: [DecisioningError.Problem] = []
        var actions: [CatalogAction] = []
        for (k, raw) in (document.actions ?? []).enumerated() {
            let label = raw.id ?? "#\(k)"
            func missing(_ field: String) {
                problems.append(.init(actionID: label, field: field, message: "'\(field)' is missing"))
            }
            if raw.id == nil { missing("id") }
            if raw.channel == nil { missing("channel") }
            if raw.cost == nil { missing("cost") }
            if raw.value == nil { missing("value") }
            var rule: RuleExpression?
            if let text = raw.eligibility {
                do {
                    rule = try RuleExpression(parsing: text)
                } catch let error as DecisioningError {
                    problems.append(.init(actionID: label, field: "eligibility", column: error.column, message: Self.withoutColumn(error)))
                }
            }
            actions.append(
                CatalogAction(
                    id: raw.id ?? label, channel: raw.channel ?? "", cost: raw.cost ?? 0, value: raw.value ?? 0,
                    eligibility: rule, limit: raw.limit))
        }
        if document.actions == nil {
            problems.append(.init(actionID: nil, field: "actions", message: "'actions' is missing"))
        }
        self.actions = actions
        self.contactPolicy = document.contactPolicy ?? .init()
        self.channels = document.channels
        // The checks run on what decoded; a field already reported (missing, or a rule that did not parse)
        // is not reported twice.
        let reported = Set(problems.map { "\($0.actionID ?? "")\u{0}\($0.field)" })
        problems += validationProblems(knownChannels: knownChannels, ruleNames: ruleNames)
            .filter { !reported.contains("\($0.actionID ?? "")\u{0}\($0.field)") }
        if !problems.isEmpty { throw Self.error(problems) }
    }

    /// Every problem of the catalog, or none.
    ///
    /// - Parameters:
    ///   - knownChannels: when given, every channel must be one of them.
    ///   - ruleNames: when given, every eligibility rule must compile against these names.
    public func validationProblems(knownChannels: [String]? = nil, ruleNames: [String]? = nil) -> [DecisioningError.Problem] {
        var problems: [DecisioningError.Problem] = []
        var seen: [String: Int] = [:]
        let allowedChannels = knownChannels.map(Set.init) ?? channels.map(Set.init)
        if let channels, let knownChannels {
            for channel in channels where !knownChannels.contains(channel) {
                problems.append(.init(actionID: nil, field: "channels", message: "unknown channel '\(channel)'"))
            }
        }
        for (k, action) in actions.enumerated() {
            let id = action.id
            if id.isEmpty {
                problems.append(.init(actionID: "#\(k)", field: "id", message: "the id is empty"))
            } else if id == Self.noActionID {
                problems.append(
                    .init(actionID: id, field: "id", message: "'none' is reserved for the implicit no-action baseline"))
            } else if let first = seen[id] {
                problems.append(
                    .init(actionID: id, field: "id", message: "duplicate id: actions #\(first) and #\(k) share it"))
            } else {
                seen[id] = k
            }
            if action.channel.isEmpty {
                problems.append(.init(actionID: id, field: "channel", message: "channel is empty"))
            } else if let allowedChannels, !allowedChannels.contains(action.channel) {
                problems.append(
                    .init(actionID: id, field: "channel",
                        message: "unknown channel '\(action.channel)'; known: \(allowedChannels.sorted().joined(separator: ", "))"))
            }
            if !(action.cost >= 0 && action.cost.isFinite) {
                problems.append(.init(actionID: id, field: "cost", message: "cost must be finite and ≥ 0, got \(action.cost)"))
            }
            if !(action.value >= 0 && action.value.isFinite) {
                problems.append(.init(actionID: id, field: "value", message: "value must be finite and ≥ 0, got \(action.value)"))
            }
            if let limit = action.limit {
                problems += Self.limitProblems(limit, actionID: id, field: "limit")
            }
            if let rule = action.eligibility, let ruleNames {
                do {
                    _ = try rule.compile(names: ruleNames)
                } catch let error as DecisioningError {
                    problems.append(.init(actionID: id, field: "eligibility", column: error.column, message: Self.withoutColumn(error)))
                } catch {
                    problems.append(.init(actionID: id, field: "eligibility", message: "\(error)"))
                }
            }
        }
        if let limit = contactPolicy.channelLimit {
            problems += Self.limitProblems(limit, actionID: nil, field: "contactPolicy.channelLimit")
        }
        if let days = contactPolicy.cooldownDays, !(days >= 0 && days.isFinite) {
            problems.append(
                .init(actionID: nil, field: "contactPolicy.cooldownDays", message: "cooldownDays must be finite and ≥ 0, got \(days)"))
        }
        if let cap = contactPolicy.weeklyCap, cap < 1 {
            problems.append(.init(actionID: nil, field: "contactPolicy.weeklyCap", message: "weeklyCap must be ≥ 1, got \(cap)"))
        }
        return problems
    }

    private enum CodingKeys: String, CodingKey { case actions, contactPolicy, channels }

    /// Decodes a catalog in its Codable form (as encoded) and validates it like
    /// ``init(actions:contactPolicy:channels:knownChannels:ruleNames:)``.
    ///
    /// - Throws: `DecodingError.dataCorrupted` wrapping the ``DecisioningError`` of an invalid catalog.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                actions: container.decode([CatalogAction].self, forKey: .actions),
                contactPolicy: container.decodeIfPresent(ContactPolicy.self, forKey: .contactPolicy) ?? .init(),
                channels: container.decodeIfPresent([String].self, forKey: .channels))
        } catch let error as DecisioningError {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.message, underlyingError: error))
        }
    }

    /// The action with this id, or `nil` (also for `none`).
    public func action(id: String) -> CatalogAction? { actions.first { $0.id == id } }

    /// A rule error's message without its `column N: ` prefix (the problem states the column itself).
    static func withoutColumn(_ error: DecisioningError) -> String {
        guard let column = error.column else { return error.message }
        let prefix = "column \(column): "
        return error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
    }

    static func limitProblems(_ limit: ContactLimit, actionID: String?, field: String) -> [DecisioningError.Problem] {
        var problems: [DecisioningError.Problem] = []
        if limit.maxContacts < 1 {
            problems.append(.init(actionID: actionID, field: field + ".maxContacts", message: "maxContacts must be ≥ 1, got \(limit.maxContacts)"))
        }
        if !(limit.windowDays > 0 && limit.windowDays.isFinite) {
            problems.append(
                .init(actionID: actionID, field: field + ".windowDays", message: "windowDays must be finite and > 0, got \(limit.windowDays)"))
        }
        return problems
    }

    static func error(_ problems: [DecisioningError.Problem]) -> DecisioningError {
        DecisioningError(
            .invalidCatalog,
            "the action catalog has \(problems.count) problem\(problems.count == 1 ? "" : "s"): "
                + problems.map(\.description).joined(separator: "; "),
            column: problems.first?.column, problems: problems)
    }

    static func describe(_ error: DecodingError) -> (path: String, reason: String) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "expected \(type): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "expected \(type), found null")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "'\(key.stringValue)' is missing")
        case .dataCorrupted(let context):
            return (path(context.codingPath).isEmpty ? "(document)" : path(context.codingPath),
                "not valid JSON: \(context.debugDescription)")
        @unknown default:
            return ("(document)", "\(error)")
        }
    }
}

/// The JSON as written: every field optional, so missing ones are reported with the others.
private struct CatalogDocument: Decodable {
    struct RawAction: Decodable {
        var id: String?
        var channel: String?
        var cost: Double?
        var value: Double?
        var eligibility: String?
        var limit: ContactLimit?
    }
    var channels: [String]?
    var contactPolicy: ContactPolicy?
    var actions: [RawAction]?
}
