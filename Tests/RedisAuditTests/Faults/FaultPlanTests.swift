import Foundation
import Testing
@testable import RedisAudit

@Suite("fault plans: rules from a YAML file")
struct FaultPlanTests {
    @Test func rulesInOrderWithCommentsAllowed() throws {
        let rules = try FaultPlan.parse(
            yaml: """
                # the checkout service should survive these
                faults:
                  - kill-after:EXPIRE   # the ambiguous case
                  - 'drop:DEL:reply=-ERR lost'
                  - down:EXEC:nth=1,scope=run,ms=2000
                """, file: "plan.yaml")
        #expect(rules.map(\.text) == ["kill-after:EXPIRE", "drop:DEL:reply=-ERR lost", "down:EXEC:nth=1,scope=run,ms=2000"])
        #expect(rules[2].target.scope == .run)
    }

    @Test func anEmptyListIsNoRules() throws {
        #expect(try FaultPlan.parse(yaml: "faults: []\n", file: "plan.yaml").isEmpty)
        #expect(try FaultPlan.parse(yaml: "faults:\n", file: "plan.yaml").isEmpty)
    }

    @Test(arguments: [
        (
            "faults:\n  - kill-after:EXPIRE\n  - explode:GET\n",
            "plan.yaml:3: invalid fault rule 'explode:GET': unknown fault kind 'explode'"
        ),
        ("faults:\n  - kill-after:EXPIRE\nrules:\n  - drop:DEL\n", "plan.yaml:3: unknown key 'rules' (accepted: faults)"),
        ("faults: [kill-after:EXPIRE\n", "plan.yaml:"),
        ("faults: kill-after:EXPIRE\n", "plan.yaml:1: faults must be a list of rules"),
        ("- kill-after:EXPIRE\n", "plan.yaml:1: a fault plan is a mapping"),
        ("faults:\n  - {kind: drop}\n", "plan.yaml:2: a fault is one rule string"),
        ("", "plan.yaml:1: a fault plan is a mapping"),
    ])
    func badPlansSayWhereAndWhat(yaml: String, message: String) {
        do {
            _ = try FaultPlan.parse(yaml: yaml, file: "plan.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test func loadsAFileAndNamesItInErrors() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString.prefix(8)).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "faults:\n  - delay:GET:ms=5\n  - delay:GET\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try FaultPlan.load(contentsOf: path)
            Issue.record("a rule without ms was accepted")
        } catch {
            #expect(error.description == "\(path):3: invalid fault rule 'delay:GET': delay needs ms=MILLISECONDS")
        }
        #expect(throws: InputError.self) { try FaultPlan.load(contentsOf: path + ".missing") }
    }
}
