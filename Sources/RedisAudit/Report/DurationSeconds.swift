extension Duration {
    /// The duration in seconds, as reports and progress lines give it.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
