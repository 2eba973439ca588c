import Testing
@testable import RedisAuditREST

/// The token of an `Authorization` header value.
@Suite("Bearer tokens")
struct BearerTokenTests {
    @Test func theSchemeInAnyCaseAndSpacesAroundTheTokenAreDropped() {
        #expect(RESTRequestHandler.bearerToken("Bearer abc") == "abc")
        #expect(RESTRequestHandler.bearerToken("bEARER  abc \t") == "abc")
    }

    @Test func anotherSchemeOrNoTokenIsNone() {
        #expect(RESTRequestHandler.bearerToken("Basic abc") == nil)
        #expect(RESTRequestHandler.bearerToken("Bearer ") == nil)
        #expect(RESTRequestHandler.bearerToken("Bearer\u{0}abc") == nil)
    }
}
