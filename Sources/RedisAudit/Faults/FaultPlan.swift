import Foundation
import Yams

/// A `--plan` file: fault rules in the one rule syntax, as YAML.
///
///     # what the checkout service should survive
///     faults:
///       - kill-after:EXPIRE
///       - drop:DEL:reply=-ERR lost
public enum FaultPlan {
    /// The plan file's only key.
    static let topLevelKeys = ["faults"]

    /// Loads a plan file; errors say `FILE:LINE: what`.
    public static func load(contentsOf path: String) throws(FaultPlanError) -> [FaultRule] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw FaultPlanError("cannot read fault plan \(path): \(error.localizedDescription)")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses a plan from YAML text; `file` is the name used in errors.
    public static func parse(yaml: String, file: String) throws(FaultPlanError) -> [FaultRule] {
        func location(_ node: Node?) -> SourceLocation { SourceLocation(file: file, line: node?.mark?.line ?? 1) }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            let located = ScenarioLoader.yamlError(error, yaml: yaml, file: file)
            throw FaultPlanError(located.message, at: located.location)
        } catch {
            throw FaultPlanError("invalid YAML: \(error)", at: location(nil))
        }
        guard let root, let mapping = root.mapping else {
            throw FaultPlanError("a fault plan is a mapping: faults: [RULE, ...]", at: location(root))
        }
        var rules: [FaultRule] = []
        for (key, value) in mapping {
            guard let name = key.string, topLevelKeys.contains(name) else {
                throw FaultPlanError(
                    "unknown key '\(key.string ?? "?")' (accepted: \(topLevelKeys.joined(separator: ", ")))", at: location(key))
            }
            if value.null != nil { continue }
            guard let entries = value.sequence else {
                throw FaultPlanError("faults must be a list of rules: faults: [RULE, ...]", at: location(value))
            }
            for entry in entries {
                guard let text = entry.scalar?.string else {
                    throw FaultPlanError("a fault is one rule string, KIND[:COMMAND][:param=value,...]", at: location(entry))
                }
                do throws(FaultRuleError) {
                    rules.append(try FaultRule.parse(text))
                } catch {
                    throw FaultPlanError("invalid fault rule '\(text)': \(error.reason)", at: location(entry))
                }
            }
        }
        return rules
    }
}

/// A plan file that cannot be used, reported as a scenario file is: `FILE:LINE: what is wrong`.
public typealias FaultPlanError = ScenarioError
