import Foundation

/// Reads a named input file (scenario, config, baseline, fault plan) as UTF-8 text, refusing
/// one larger than `InputLimits.maxFileBytes` before reading it and naming the byte where
/// text that is not UTF-8 starts: `plan.yaml: invalid UTF-8 at byte 17`.
enum InputFile {
    /// The file's text; `what` names the kind of file in the errors.
    static func read(_ path: String, what: String, limits: InputLimits) throws(InputError) -> String {
        let whole = SourceLocation(file: path, line: 0)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        if size > limits.maxFileBytes {
            throw tooLarge(size, limit: limits.maxFileBytes, at: whole)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw InputError("cannot read the \(what): \(reason)", at: whole)
        }
        defer { try? handle.close() }
        let data: Data
        do {
            // One byte more than the limit tells a file that grew (or a device) from one that fits.
            data = try handle.read(upToCount: limits.maxFileBytes + 1) ?? Data()
        } catch {
            throw InputError("cannot read the \(what): \(error.localizedDescription)", at: whole)
        }
        if data.count > limits.maxFileBytes {
            throw tooLarge(nil, limit: limits.maxFileBytes, at: whole)
        }
        if let offset = firstInvalidUTF8(data) {
            throw InputError("invalid UTF-8 at byte \(offset)", at: whole)
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func tooLarge(_ size: Int?, limit: Int, at location: SourceLocation) -> InputError {
        guard let size else { return InputError("the file has more than \(limit) bytes (--max-file-bytes)", at: location) }
        return InputError("the file is \(size) bytes, more than --max-file-bytes (\(limit))", at: location)
    }

    /// The 0-based offset of the first byte that does not start or continue a valid UTF-8
    /// sequence, or nil when all of it is UTF-8.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = data.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
