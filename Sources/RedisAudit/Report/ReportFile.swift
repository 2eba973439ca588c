import Foundation

/// Every write of a report: a file (`-o`, `--json-output`, `--junit-output`), standard output
/// or the job summary, each byte checked, so a full disk or a closed pipe is an error with the
/// path and the system's reason, never a report that silently went nowhere.
public enum ReportFile {
    /// The path standard output is named by in errors.
    public static let standardOutput = "standard output"

    /// Replaces the file's content with `text` (a device such as `/dev/stdout` is written in place).
    public static func write(_ text: String, to path: String) throws(ReportWriteError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ReportWriteError(path: path, errno: errno) }
        try finish(fd, writing: Array(text.utf8), path: path)
    }

    /// Appends to the file, creating it when missing and never truncating it; `prefix` is written
    /// first when the file already has content.
    public static func append(_ text: String, to path: String, separatedBy prefix: String = "") throws(ReportWriteError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ReportWriteError(path: path, errno: errno) }
        var status = stat()
        let separator = fstat(fd, &status) == 0 && status.st_size > 0 ? prefix : ""
        try finish(fd, writing: Array((separator + text).utf8), path: path)
    }

    /// Writes `text` to standard output (unbuffered, so the failure is seen here, not at exit).
    public static func writeStandardOutput(_ text: String) throws(ReportWriteError) {
        fflush(nil)
        try writeAll(Array(text.utf8), to: STDOUT_FILENO, path: standardOutput)
    }

    /// Checks, before an audit starts, that a report can be written to `path`: its directory
    /// exists and is writable, and the path, if it exists, is not a directory and is writable.
    public static func checkWritable(_ path: String) throws(ReportWriteError) {
        var status = stat()
        if stat(path, &status) == 0 {
            if status.st_mode & S_IFMT == S_IFDIR { throw ReportWriteError(path: path, reason: "is a directory") }
            guard access(path, W_OK) == 0 else { throw ReportWriteError(path: path, errno: errno) }
            return
        }
        let directory = (path as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        guard stat(parent, &status) == 0 else {
            throw ReportWriteError(path: path, reason: "directory \(parent) does not exist")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw ReportWriteError(path: path, reason: "\(parent) is not a directory")
        }
        guard access(parent, W_OK) == 0 else { throw ReportWriteError(path: path, errno: errno) }
    }

    private static func finish(_ fd: Int32, writing bytes: [UInt8], path: String) throws(ReportWriteError) {
        do {
            try writeAll(bytes, to: fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        // Some file systems report a failed write only when the file is closed.
        guard close(fd) == 0 else { throw ReportWriteError(path: path, errno: errno) }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(ReportWriteError) {
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReportWriteError(path: path, errno: errno)
            }
            written += n
        }
    }
}

/// A report could not be written: where, and the system's reason.
public struct ReportWriteError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(path: String, errno code: Int32) { self.init(path: path, reason: String(cString: strerror(code))) }

    public var description: String { "cannot write the report to \(path): \(reason)" }
}
