import ArgumentParser

/// `--allow-unconfined-scripts`, shared by the subcommands that replay scenarios.
struct ScriptConfinementFlags: ParsableArguments {
    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Run scripts without the static check on an endpoint that refuses ACL SETUSER (DANGEROUS: a script may then read, change or delete any key of the server).",
            discussion:
                "Where the endpoint allows it, every run creates a temporary ACL user confined to the run's keys and the scenario's connections run as it, so the server refuses a script that escapes the namespace. Where it does not (a managed host), every script must pass a static check before anything is sent: literal command names, keys only from KEYS[...]. This flag skips that check there."
        ))
    var allowUnconfinedScripts: Bool?

    /// The flag, else the config file's key, else off.
    func allowUnconfined(config: Bool?) -> Bool { allowUnconfinedScripts ?? config ?? false }
}
