import Testing

@testable import RedisAudit

/// The concurrent block's syntax: clients, capture, if, tally, and the invariants over them.
@Suite struct ConcurrentTests {
    static let checkin = """
        name: race
        vars:
          clients: 10
          capacity: 5
        steps:
          - concurrent:
              clients: "${clients}"
              steps:
                - command: [GET, "count"]
                  capture: count
                - command: [INCR, "count"]
                  if: { var: count, lt: "${capacity}" }
                  tally: admitted
                - command: [SADD, "who", "p-${client}"]
                  if: [{ var: count, lt: "${capacity}" }, { var: count, ne: "" }]
        invariants:
          - { tally: admitted, max: "${capacity}", severity: critical }
          - { value: count, min: 0, max: "${capacity}" }
          - { counts_match: { counter: count, set: who } }
        """

    @Test func readsABlockWithCaptureIfAndTally() throws {
        let s = try ScenarioLoader.parse(yaml: Self.checkin, file: "race.yaml")
        #expect(s.isConcurrent)
        guard case .concurrent(let block) = s.steps[0].kind else {
            Issue.record("not a concurrent step")
            return
        }
        #expect(block.clients == Template("${clients}"))
        #expect(try block.clientCount(try s.bind()) == 10)
        #expect(block.steps.map(\.capture) == ["count", nil, nil])
        #expect(
            block.steps[1].conditions == [
                StepCondition(
                    variable: "count", comparison: .lt, value: Template("${capacity}"),
                    location: SourceLocation(file: "race.yaml", line: 12))
            ])
        #expect(block.steps[2].conditions.count == 2)
        #expect(block.steps[1].tally == Tally(name: "admitted"))
        #expect(s.tallyNames == ["admitted"])
        #expect(s.invariants[0].check == .tally("admitted", min: nil, max: Bound(Template("${capacity}"))))
        #expect(s.invariants[1].check == .value(Template("count"), min: 0, max: Bound(Template("${capacity}"))))
        #expect(s.invariants[2].check == .countsMatch(counter: Template("count"), set: Template("who")))
    }

    @Test func singleClientReplacesTheBlockByItsSteps() throws {
        let s = try ScenarioLoader.parse(yaml: Self.checkin, file: "race.yaml").singleClient
        #expect(!s.isConcurrent)
        #expect(s.steps.map { $0.commands.map(\.name) } == [["GET"], ["INCR"], ["SADD"]])
        #expect(try s.bind()["client"] == "0")
    }

    @Test func comparisonsReadNilAsZeroAgainstNumbersOnly() {
        #expect(Comparison.lt.holds("", "50"))
        #expect(Comparison.lt.holds("49", "50"))
        #expect(!Comparison.lt.holds("50", "50"))
        #expect(Comparison.ge.holds("100", "50"))
        #expect(Comparison.eq.holds("", ""))
        #expect(!Comparison.eq.holds("0", ""))
        #expect(Comparison.eq.holds("OK", "OK"))
        #expect(Comparison.ne.holds("", "OK"))
        #expect(!Comparison.gt.holds("-1", "0"))
    }

    @Test func tallyWithAComparison() throws {
        let s = try ScenarioLoader.parse(
            yaml: """
                name: lua
                steps:
                  - concurrent:
                      clients: 3
                      steps:
                        - script: { lua: "return 1", keys: [k] }
                          tally: { name: admitted, gt: 0 }
                invariants:
                  - { tally: admitted, max: 3 }
                """, file: "lua.yaml")
        guard case .concurrent(let block) = s.steps[0].kind else { return }
        #expect(block.steps[0].tally == Tally(name: "admitted", comparison: .gt, value: Template("0")))
    }

    static func wrap(_ inner: String, clients: String = "2", invariants: String = "") -> String {
        """
        name: x
        vars:
          n: 2
        steps:
          - concurrent:
              clients: \(clients)
              steps:
        \(inner)
        \(invariants)
        """
    }

    @Test func errorsNameTheLine() {
        #expect(
            loadError(Self.wrap("        - command: [GET, k]\n          if: { var: nope, lt: 1 }"))?.description
                == "test.yaml:9: if: undefined variable 'nope' (capture it in an earlier step of the block, or define it in vars)"
        )
        #expect(
            loadError(Self.wrap("        - command: [GET, k]\n          if: { var: n, up: 1 }"))?.description
                == "test.yaml:9: unknown key 'up' in if (allowed: var and one of lt, le, gt, ge, eq, ne)")
        #expect(
            loadError(Self.wrap("        - command: [GET, k]", clients: "0"))?.description
                == "test.yaml:6: clients must be a whole number from 1 to 10000, or a variable (\"${clients}\")")
        #expect(
            loadError(Self.wrap("        - command: [GET, \"k:${count}\"]"))?.description
                == "test.yaml:8: undefined variable ${count} (defined: n)")
        #expect(
            loadError(Self.wrap("        - command: [GET, k]\n          capture: n"))?.description
                == "test.yaml:9: capture 'n' would hide a variable of the same name: choose another name")
        #expect(
            loadError(Self.wrap("        - command: [GET, k]\n          setup: true"))?.description
                == "test.yaml:9: 'setup' does not apply inside a concurrent block: mark the concurrent step instead")
        #expect(
            loadError(Self.wrap("        - concurrent: { clients: 2, steps: [{ command: [GET, k] }] }"))?.description
                == "test.yaml:8: a concurrent block cannot contain another concurrent block")
        #expect(
            loadError(Self.wrap("        - command: [GET, k]", invariants: "invariants:\n  - { tally: admitted, max: 1 }"))?
                .description
                == "test.yaml:10: unknown tally 'admitted' (no step declares a tally); add 'tally: admitted' to a step of a concurrent block"
        )
        #expect(
            loadError(Self.wrap("        - command: [GET, k]", invariants: "invariants:\n  - { value: k, max: lots }"))?
                .description
                == "test.yaml:10: max must be a whole number, got 'lots'")
    }

    @Test func clientModifiersOnlyInsideABlock() {
        #expect(
            loadError("name: x\nsteps:\n  - command: [GET, k]\n    capture: v")?.description
                == "test.yaml:4: 'capture' applies to the steps inside a concurrent block")
        #expect(
            loadError("name: x\nsteps:\n  - command: [GET, \"k:${client}\"]")?.description
                == "test.yaml:3: undefined variable ${client}: it exists only inside a concurrent block")
        #expect(
            loadError("name: x\nvars:\n  client: 1\nsteps:\n  - command: [GET, k]")?.description
                == "test.yaml:3: 'client' is reserved: a concurrent block binds ${client} to each client's index")
    }
}
