import NIOCore
import Testing
@testable import RedisAudit

/// The pieces of the cluster proxy that read and write bytes, without sockets: `WireValue`,
/// `ClusterQuery` and `ClusterReplyRewriter` on replies shaped as the engines send them.
@Suite("cluster proxy codecs")
struct ClusterReplyCodecTests {
    /// A map in which node 10.0.0.1:6379 is behind listener 7100, and nothing else is known.
    private static func map() -> ClusterAddressMap {
        let map = ClusterAddressMap(listenHost: "127.0.0.1", seedHost: "10.0.0.1")
        map.listening(for: Endpoint.Node(host: "10.0.0.1", port: 6379), on: 7100)
        return map
    }

    private static func rewrite(_ reply: String, _ query: ClusterQuery?) -> String {
        String(buffer: ClusterReplyRewriter(map: map()).rewrite(ByteBuffer(string: reply), answering: query))
    }

    @Test(arguments: [
        "+OK\r\n", "$-1\r\n", "*-1\r\n", "_\r\n", ":42\r\n", "$3\r\na\rb\r\n", "=8\r\ntxt:a\nb\n\r\n",
        "*2\r\n%1\r\n+k\r\n~1\r\n#t\r\n,1.5\r\n", ">2\r\n$7\r\nmessage\r\n(12345678901234567890\r\n",
    ])
    func aReplyIsWrittenBackAsItCame(_ reply: String) throws {
        let value = try #require(WireValue.parse(ByteBuffer(string: reply)))
        var written = ByteBuffer()
        value.write(into: &written)
        #expect(String(buffer: written) == reply)
    }

    @Test(arguments: ["*2\r\n:1\r\n", "$5\r\nab\r\n", "|1\r\n+a\r\n+b\r\n+c\r\n", "+OK\r\n+extra\r\n"])
    func bytesThatAreNotOneWholeReplyAreNotParsed(_ reply: String) {
        #expect(WireValue.parse(ByteBuffer(string: reply)) == nil)
    }

    @Test func theQueryIsReadFromMultibulkAndInlineRequestsInAnyCase() {
        #expect(ClusterQuery(request: ByteBuffer(string: "*2\r\n$7\r\ncluster\r\n$5\r\nslots\r\n")) == .slots)
        #expect(ClusterQuery(request: ByteBuffer(string: "*2\r\n$7\r\nCLUSTER\r\n$6\r\nSHARDS\r\n")) == .shards)
        #expect(ClusterQuery(request: ByteBuffer(string: "CLUSTER Nodes\r\n")) == .nodes)
        #expect(ClusterQuery(request: ByteBuffer(string: "*2\r\n$7\r\nCLUSTER\r\n$4\r\nINFO\r\n")) == nil)
        #expect(ClusterQuery(request: ByteBuffer(string: "*1\r\n$7\r\nCLUSTER\r\n")) == nil)
    }

    @Test func aRedirectionToAKnownNodeNamesItsListenerAndOneToAnUnknownNodeIsRetried() {
        #expect(Self.rewrite("-MOVED 3999 10.0.0.1:6379\r\n", nil) == "-MOVED 3999 127.0.0.1:7100\r\n")
        #expect(Self.rewrite("-ASK 3999 :6379\r\n", nil) == "-ASK 3999 127.0.0.1:7100\r\n")
        #expect(Self.rewrite("-MOVED 3999 10.0.0.9:6379\r\n", nil) == "-\(ClusterReplyRewriter.notListening)\r\n")
        #expect(Self.rewrite("-ERR MOVED elsewhere\r\n", nil) == "-ERR MOVED elsewhere\r\n")
    }

    @Test func clusterSlotsKeepsKnownPrimariesAtTheirListenerAndDropsReplicasAndUnknownPrimaries() {
        let reply =
            "*2\r\n"
            + "*4\r\n:0\r\n:99\r\n*4\r\n$8\r\n10.0.0.1\r\n:6379\r\n$2\r\nid\r\n*2\r\n$8\r\nhostname\r\n$2\r\nh1\r\n"
            + "*3\r\n$8\r\n10.0.0.4\r\n:6379\r\n$3\r\nrid\r\n"
            + "*3\r\n:100\r\n:199\r\n*3\r\n$8\r\n10.0.0.9\r\n:6379\r\n$3\r\nxid\r\n"
        #expect(
            Self.rewrite(reply, .slots)
                == "*1\r\n*3\r\n:0\r\n:99\r\n*4\r\n$9\r\n127.0.0.1\r\n:7100\r\n$2\r\nid\r\n*2\r\n$8\r\nhostname\r\n$9\r\n127.0.0.1\r\n"
        )
    }

    @Test func clusterNodesKeepsKnownPrimaries() {
        let reply =
            "a 10.0.0.1:6379@16379,h1 myself,master - 0 0 1 connected 0-99\n"
            + "b 10.0.0.4:6379@16379 slave a 0 0 1 connected\n"
            + "c 10.0.0.9:6379@16379 master - 0 0 2 connected 100-199\n"
        let expected = "a 127.0.0.1:7100@0 myself,master - 0 0 1 connected 0-99\n"
        #expect(Self.rewrite("$\(reply.utf8.count)\r\n\(reply)\r\n", .nodes) == "$\(expected.utf8.count)\r\n\(expected)\r\n")
    }

    @Test func aTopologyReplyOfAnotherShapeBecomesAnErrorRatherThanPassOn() {
        #expect(Self.rewrite("*1\r\n*2\r\n:0\r\n:99\r\n", .slots) == "-\(ClusterReplyRewriter.unreadable)\r\n")
        #expect(Self.rewrite("*1\r\n:5\r\n", .shards) == "-\(ClusterReplyRewriter.unreadable)\r\n")
        // An error names no node: it passes as it came.
        #expect(Self.rewrite("-ERR This instance has cluster support disabled\r\n", .slots).hasPrefix("-ERR This"))
    }
}
