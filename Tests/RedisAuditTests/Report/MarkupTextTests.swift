import Testing
@testable import RedisAudit

/// The escaping both markup reports share: JUnit XML's attributes and text, and the HTML page.
@Suite("markup text")
struct MarkupTextTests {
    @Test func escapingIsXMLsOwn() {
        #expect(
            MarkupText.escape("<a href='x'>&\"</a>", inAttribute: true) == "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;")
        #expect(MarkupText.escape("<a href='x'>&\"</a>", inAttribute: false) == "&lt;a href='x'&gt;&amp;\"&lt;/a&gt;")
        #expect(MarkupText.escape("a\u{0}b\u{1F}c\td\ne\rf\u{FFFF}g😀", inAttribute: false) == "abc\td\ne&#13;fg😀")
        #expect(MarkupText.escape("a\tb\nc", inAttribute: true) == "a&#9;b&#10;c")
    }
}
