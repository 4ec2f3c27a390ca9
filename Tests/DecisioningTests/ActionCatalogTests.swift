import Decisioning
import Foundation
import Testing

private let day: Int64 = 86_400

@Suite struct ActionCatalogTests {
    static let json = """
        {
          "channels": ["email", "sms", "push"],
          "contactPolicy": { "channelLimit": { "maxContacts": 2, "windowDays": 7 }, "cooldownDays": 1, "weeklyCap": 3 },
          "actions": [
            { "id": "email_discount10", "channel": "email", "cost": 2, "value": 60,
              "eligibility": "churn_probability > 0.3 and `segment=loyalist` == 0",
              "limit": { "maxContacts": 1, "windowDays": 30 } },
            { "id": "sms_offer", "channel": "sms", "cost": 0.5, "value": 40 }
          ]
        }
        """

    @Test func decodesAValidCatalog() throws {
        let catalog = try ActionCatalog(
            json: Data(Self.json.utf8), knownChannels: ["email", "sms", "push", "app"],
            ruleNames: ["segment=loyalist", "churn_probability"])
        #expect(catalog.actions.map(\.id) == ["email_discount10", "sms_offer"])
        #expect(catalog.actions[0].cost == 2 && catalog.actions[0].value == 60)
        #expect(catalog.actions[0].eligibility?.names == ["churn_probability", "segment=loyalist"])
        #expect(catalog.actions[0].limit == ContactLimit(maxContacts: 1, windowDays: 30))
        #expect(catalog.actions[1].eligibility == nil && catalog.actions[1].limit == nil)
        #expect(catalog.contactPolicy == ContactPolicy(channelLimit: .init(maxContacts: 2, windowDays: 7), cooldownDays: 1, weeklyCap: 3))
        // Round trip through the Codable form.
        let again = try JSONDecoder().decode(ActionCatalog.self, from: JSONEncoder().encode(catalog))
        #expect(again == catalog)
        // The Codable form is validated too: a negative cost does not decode.
        let negative = Data(#"{"actions":[{"id":"a","channel":"email","cost":-1,"value":1}],"contactPolicy":{}}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ActionCatalog.self, from: negative) }
    }

    @Test func reportsEveryProblemWithActionFieldAndColumn() throws {
        let json = """
            {
              "contactPolicy": { "channelLimit": { "maxContacts": 0, "windowDays": -1 }, "weeklyCap": 0 },
              "actions": [
                { "id": "a", "channel": "email", "cost": -1, "value": 10 },
                { "id": "a", "channel": "fax", "cost": 1, "value": 10 },
                { "id": "none", "channel": "sms", "cost": 1, "value": 10 },
                { "id": "b", "channel": "sms", "cost": 1, "value": 10, "eligibility": "x > " },
                { "id": "c", "channel": "sms", "cost": 1, "value": 10, "eligibility": "x > 1 and churnn > 0.2" },
                { "channel": "sms", "value": 10 }
              ]
            }
            """
        var thrown: DecisioningError?
        do {
            _ = try ActionCatalog(json: Data(json.utf8), knownChannels: ["email", "sms"], ruleNames: ["x", "churn"])
        } catch let error as DecisioningError {
            thrown = error
        }
        let error = try #require(thrown)
        #expect(error.code == .invalidCatalog)
        let problems = Set(error.problems.map { "\($0.actionID ?? "-")|\($0.field)|\($0.column.map(String.init) ?? "-")" })
        let expected: Set<String> = [
            "a|cost|-", "a|id|-", "a|channel|-", "none|id|-", "b|eligibility|5", "c|eligibility|11", "#5|id|-",
            "#5|cost|-", "-|contactPolicy.channelLimit.maxContacts|-", "-|contactPolicy.channelLimit.windowDays|-",
            "-|contactPolicy.weeklyCap|-",
        ]
        #expect(problems == expected, "\(error.problems)")
        #expect(error.message.contains("action 'a', field 'cost': cost must be finite and ≥ 0, got -1.0"))
        #expect(error.message.contains("action 'a', field 'id': duplicate id: actions #0 and #1 share it"))
        #expect(error.message.contains("action 'a', field 'channel': unknown channel 'fax'"))
        #expect(error.message.contains("action 'c', field 'eligibility', column 11: unknown name 'churnn'"))
        #expect(error.message.contains("action '#5', field 'id': 'id' is missing"))
    }

    @Test func wrongJSONTypesAreReportedWithTheirPath() throws {
        let json = #"{ "actions": [ { "id": "a", "channel": "email", "cost": "cheap", "value": 1 } ] }"#
        var thrown: DecisioningError?
        do { _ = try ActionCatalog(json: Data(json.utf8)) } catch let error as DecisioningError { thrown = error }
        let error = try #require(thrown)
        #expect(error.code == .invalidCatalog)
        #expect(error.problems.first?.field == "actions[0].cost", "\(error)")
        let notJSON = try #require(throws: DecisioningError.self) { try ActionCatalog(json: Data("{".utf8)) }
        #expect(notJSON.message.contains("not valid JSON"))
    }

    @Test func catalogChannelsAreUsedWhenNoneAreSupplied() throws {
        let json = #"{ "channels": ["email"], "actions": [ { "id": "a", "channel": "sms", "cost": 1, "value": 1 } ] }"#
        let error = try #require(throws: DecisioningError.self) { try ActionCatalog(json: Data(json.utf8)) }
        #expect(error.problems.map(\.field) == ["channel"])
    }

    @Test func contactPolicyAllowsAndBlocksWithReasons() throws {
        let email = CatalogAction(id: "email_discount10", channel: "email", cost: 1, value: 10, limit: .init(maxContacts: 1, windowDays: 30))
        let sms = CatalogAction(id: "sms_offer", channel: "sms", cost: 1, value: 10)
        let push = CatalogAction(id: "push_reminder", channel: "push", cost: 1, value: 10)
        let policy = ContactPolicy(channelLimit: .init(maxContacts: 2, windowDays: 7), cooldownDays: 1, weeklyCap: 3)
        let now: Int64 = 1_704_067_200 + 100 * day

        #expect(policy.allows(email, history: [], now: now) == .allowed)
        #expect(policy.allows(email, history: [], now: now, suppressedChannels: ["email"]) == .blocked(.suppressed(channel: "email")))

        // The action's own limit: one email_discount10 in 30 days. 29.9 days ago blocks, exactly 30 days ago does not.
        let recentEmail = ContactRecord(time: now - 29 * day, channel: "email", actionID: "email_discount10")
        #expect(policy.allows(email, history: [recentEmail], now: now)
            == .blocked(.actionLimit(actionID: "email_discount10", contacts: 1, limit: .init(maxContacts: 1, windowDays: 30))))
        let oldEmail = ContactRecord(time: now - 30 * day, channel: "email", actionID: "email_discount10")
        #expect(policy.allows(email, history: [oldEmail], now: now) == .allowed)

        // Channel limit: two sms in the last 7 days block a third; cooldown and weekly cap do not apply yet.
        let twoSMS = [ContactRecord(time: now - 6 * day, channel: "sms", actionID: "x"), ContactRecord(time: now - 2 * day, channel: "sms", actionID: "y")]
        #expect(policy.allows(sms, history: twoSMS, now: now)
            == .blocked(.channelLimit(channel: "sms", contacts: 2, limit: .init(maxContacts: 2, windowDays: 7))))
        #expect(policy.allows(push, history: twoSMS, now: now) == .allowed)

        // Cooldown: a contact 23 hours ago blocks every action; 24 hours ago does not.
        let yesterday = ContactRecord(time: now - day + 3600, channel: "push", actionID: "push_reminder")
        #expect(policy.allows(sms, history: [yesterday], now: now) == .blocked(.cooldown(lastContact: now - day + 3600, cooldownDays: 1)))
        #expect(policy.allows(sms, history: [ContactRecord(time: now - day, channel: "push", actionID: "p")], now: now) == .allowed)

        // Weekly cap: three contacts on three channels in 7 days block a fourth.
        let three = [("email", 6), ("sms", 4), ("push", 2)].map { ContactRecord(time: now - Int64($0.1) * day, channel: $0.0, actionID: "z") }
        let app = CatalogAction(id: "app_coupon", channel: "app", cost: 1, value: 1)
        #expect(policy.allows(app, history: three, now: now) == .blocked(.weeklyCap(contacts: 3, cap: 3)))
        // Contacts after `now` are not counted.
        let future = [ContactRecord(time: now + 10, channel: "app", actionID: "app_coupon")]
        #expect(policy.allows(app, history: future, now: now) == .allowed)
        #expect(ContactBlockReason.weeklyCap(contacts: 3, cap: 3).description == "the customer had 3 contacts in the last 7 days (weekly cap 3)")
    }
}
