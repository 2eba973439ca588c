import Testing
@testable import RedisAudit

@Suite("proxy session state: transitions without sockets")
struct ProxySessionStateTests {
    @Test func whileConnectingOnlyTheClientsBytesAreKept() {
        let state = ProxySessionState.connecting(.open, silent: false)
        #expect(state.accepts(from: .client) && !state.accepts(from: .server))
        #expect(state.isConnecting && !state.isFinished && !state.isSilent)
    }

    @Test func connectingThenForwardingBothWays() {
        var state = ProxySessionState.connecting(.open, silent: false)
        let step1 = state.upstreamConnected()
        #expect(step1 == .forward)
        #expect(state == .forwarding)
        #expect(state.accepts(from: .client) && state.accepts(from: .server))
    }

    @Test func aHalfCloseBeforeTheUpstreamIsPassedOnOnceConnected() {
        var state = ProxySessionState.connecting(.open, silent: false)
        let step2 = state.clientInputClosed()
        #expect(step2 == .wait)
        #expect(state == .connecting(.inputClosed, silent: false))
        let step3 = state.upstreamConnected()
        #expect(step3 == .forwardThenCloseOutput)
        #expect(state == .forwarding)
    }

    @Test func aClientGoneBeforeTheUpstreamEndsTheSessionOnceConnected() {
        var state = ProxySessionState.connecting(.open, silent: false)
        let step4 = state.clientInputClosed()
        #expect(step4 == .wait)
        let step5 = state.clientClosed()
        #expect(step5 == .wait)
        #expect(state == .connecting(.gone, silent: false))
        let step6 = state.upstreamConnected()
        #expect(step6 == .forwardThenFinish)
    }

    @Test func anUpstreamThatConnectsAfterTheEndIsClosed() {
        var state = ProxySessionState.connecting(.open, silent: false)
        let step7 = state.finish()
        #expect(step7)
        let step8 = state.upstreamConnected()
        #expect(step8 == .closeUpstream)
        #expect(state == .finished(draining: false))
    }

    @Test func aKillCutsRequestsButRepliesStillPass() {
        var state = ProxySessionState.forwarding
        state.cutRequests()
        #expect(state == .requestsCut)
        #expect(!state.accepts(from: .client) && state.accepts(from: .server))
        let step9 = state.clientInputClosed()
        #expect(step9 == .passOn)
    }

    @Test func aHeldCloseStopsReadingEitherWay() {
        var state = ProxySessionState.requestsCut
        state.holdClose()
        #expect(state == .closing)
        #expect(!state.accepts(from: .client) && !state.accepts(from: .server))
        let finished = state.finish()
        #expect(finished && state.isFinished)
    }

    @Test func silenceFromTheStartLastsThroughTheConnect() {
        var state = ProxySessionState.connecting(.open, silent: false)
        state.silence()
        #expect(state.isSilent && !state.accepts(from: .client))
        let step10 = state.clientInputClosed()
        #expect(step10 == .wait)
        let step11 = state.upstreamConnected()
        #expect(step11 == .forwardThenCloseOutput)
        #expect(state == .silent)
        #expect(!state.accepts(from: .server))
    }

    @Test func silenceLaterStopsEverything() {
        var state = ProxySessionState.forwarding
        state.silence()
        #expect(state == .silent && state.isSilent)
        #expect(!state.accepts(from: .client) && !state.accepts(from: .server))
    }

    @Test func finishingTwiceIsRefusedAndNothingRevivesAFinishedSession() {
        var state = ProxySessionState.forwarding
        let step12 = state.finish()
        #expect(step12)
        let again = state.finish()
        #expect(!again)
        state.silence()
        state.holdClose()
        state.cutRequests()
        #expect(state == .finished(draining: false))
        let inputClosed = state.clientInputClosed()
        let closed = state.clientClosed()
        #expect(inputClosed == .ignore && closed == .ignore)
    }

    @Test func aRefusedClientIsDrained() {
        var state = ProxySessionState.forwarding
        let step13 = state.finish()
        #expect(step13)
        state.refuse()
        #expect(state == .finished(draining: true) && state.discardsClientInput)
        #expect(!state.accepts(from: .client))
        #expect(!ProxySessionState.finished(draining: false).discardsClientInput)
    }
}
