import Testing

@Test func decisioningBuilds() {}
