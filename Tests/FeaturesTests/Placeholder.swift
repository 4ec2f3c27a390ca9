import Testing

@Test func featuresBuilds() {}
