/// What a cluster told the audit about itself while it ran: redirections its connections
/// followed (a slot migration in progress, or a topology that changed under the run).
enum ClusterFindings {
    /// An info finding per endpoint whose connections followed redirections.
    static func redirections(_ byRole: [String: ClusterRedirections]) -> [Finding] {
        byRole.sorted { $0.key < $1.key }.compactMap { role, followed in
            guard followed.total > 0 else { return nil }
            return Finding(
                identity: "redirections|\(role)", severity: .info, category: .cluster,
                title: "\(role)'s cluster redirected \(followed.total) command\(followed.total == 1 ? "" : "s") during the run",
                endpoints: [role], evidence: ["followed: \(followed.summary)"],
                why: "MOVED means the map the run read was out of date (slots moved); ASK means a slot was being migrated; "
                    + "TRYAGAIN or CLUSTERDOWN means keys were unavailable for a moment. A client library follows them "
                    + "too, at the cost of a round trip each.",
                fix: "Nothing to fix in the application; audit again once the cluster's resharding is over if the "
                    + "numbers matter.")
        }
    }

    /// A medium finding for a cluster whose primaries run different servers or versions.
    static func mixedVersions(_ profiles: [ServerProfile]) -> [Finding] {
        profiles.compactMap { profile in
            guard let nodes = profile.clusterNodes, Set(nodes.map(\.server)).count > 1 else { return nil }
            return Finding(
                identity: "mixed-versions|\(profile.role)", severity: .medium, category: .cluster,
                title: "\(profile.role)'s cluster runs mixed server versions",
                endpoints: [profile.role], evidence: nodes.map { "\($0.address): \($0.server), \($0.slots) slots" },
                why: "A command, reply or error differs with the node that owns the key: the application sees one host "
                    + "behave two ways, and an audit of one node does not speak for the others.",
                fix: "Finish the upgrade so every node runs the same version before relying on the audit.")
        }
    }
}
