/// Redis Cluster's key-to-slot function (CRC16-XMODEM of the key or of its hash tag, modulo
/// 16384), and for every slot a short hash tag that lands in it, so a run's namespaced key can be
/// made to land in the slot of the key it stands for.
public enum HashSlot {
    /// Slots in a Redis Cluster.
    public static let count = 16384

    /// The slot of a key: CRC16 of the key, or of its hash tag (the text between the first `{`
    /// and the next `}`, when not empty), modulo 16384.
    public static func of(_ key: [UInt8]) -> Int {
        var hashed = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
            let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
            close > open + 1
        {
            hashed = key[(open + 1)..<close]
        }
        return Int(crc16(hashed) & 0x3FFF)
    }

    /// `of(_:)` for text.
    public static func of(_ key: String) -> Int { of(Array(key.utf8)) }

    /// CRC16-CCITT, XMODEM variant (polynomial 0x1021, initial value 0), as Redis Cluster uses.
    static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    /// The CRC of every byte value, shifted in from the top.
    private static let table: [UInt16] = (0..<256).map { value in
        var crc = UInt16(value) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }

    /// Length of every tag: fixed, so a glob can match any of them with `????`.
    public static let tagLength = 4

    /// The hash tag (4 characters of `0-9a-z`, without braces) whose slot is `slot`.
    public static func tag(for slot: Int) -> [UInt8] { tags[slot] }

    /// The first tag, in `0-9a-z` order, for each slot.
    private static let tags: [[UInt8]] = {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        var found = [[UInt8]](repeating: [], count: count)
        var missing = count
        var candidate = [UInt8](repeating: 0, count: tagLength)
        var digits = [Int](repeating: 0, count: tagLength)
        while missing > 0 {
            for (i, d) in digits.enumerated() { candidate[i] = alphabet[d] }
            let slot = Int(crc16(candidate[...]) & 0x3FFF)
            if found[slot].isEmpty {
                found[slot] = candidate
                missing -= 1
            }
            var position = tagLength - 1
            while position >= 0 {
                digits[position] += 1
                if digits[position] < alphabet.count { break }
                digits[position] = 0
                position -= 1
            }
            precondition(position >= 0, "every slot has a tag of \(tagLength) characters of 0-9a-z")
        }
        return found
    }()
}
