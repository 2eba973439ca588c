/// A key pattern in Redis's glob syntax (`KEYS`, `SCAN MATCH`): `*`, `?`, `[abc]`, `[a-z]`,
/// `[^a]`, and `\` to take the next character literally. Used to keep recorded flows that touch
/// keys of a pattern (`record --key`).
struct KeyGlob: Hashable, Sendable {
    let pattern: [UInt8]

    init(_ pattern: String) {
        self.pattern = Array(pattern.utf8)
    }

    /// True when `key` matches the whole pattern.
    func matches(_ key: [UInt8]) -> Bool {
        var p = 0
        var k = 0
        // Where to resume after the last `*`: the pattern past it, and the key position it covers up to.
        var star: (pattern: Int, key: Int)?
        while k < key.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = (p + 1, k)
                p += 1
                continue
            }
            if p < pattern.count, let next = step(at: p, against: key[k]) {
                p = next
                k += 1
                continue
            }
            guard let resume = star else { return false }
            star = (resume.pattern, resume.key + 1)
            p = resume.pattern
            k = resume.key + 1
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// The pattern position after the element at `p` when it matches `byte`, else nil.
    private func step(at p: Int, against byte: UInt8) -> Int? {
        switch pattern[p] {
        case UInt8(ascii: "?"):
            return p + 1
        case UInt8(ascii: "\\") where p + 1 < pattern.count:
            return pattern[p + 1] == byte ? p + 2 : nil
        case UInt8(ascii: "["):
            var i = p + 1
            let negated = i < pattern.count && pattern[i] == UInt8(ascii: "^")
            if negated { i += 1 }
            var matched = false
            while i < pattern.count, pattern[i] != UInt8(ascii: "]") {
                if pattern[i] == UInt8(ascii: "\\"), i + 1 < pattern.count {
                    if pattern[i + 1] == byte { matched = true }
                    i += 2
                } else if i + 2 < pattern.count, pattern[i + 1] == UInt8(ascii: "-"), pattern[i + 2] != UInt8(ascii: "]") {
                    let (low, high) = (min(pattern[i], pattern[i + 2]), max(pattern[i], pattern[i + 2]))
                    if (low...high).contains(byte) { matched = true }
                    i += 3
                } else {
                    if pattern[i] == byte { matched = true }
                    i += 1
                }
            }
            // An unclosed `[` matches as far as it goes, as Redis does.
            return matched != negated ? min(i + 1, pattern.count) : nil
        default:
            return pattern[p] == byte ? p + 1 : nil
        }
    }
}
