// Writing to the terminal: unbuffered stderr lines and terminal detection, shared by
// the logger, progress output and the CLI.

/// The process's standard streams, written with one `write(2)` per call so lines from
/// several threads never interleave mid-line.
public enum Console {
    /// Writes `text` to standard error.
    public static func error(_ text: String) { write(text, to: STDERR_FILENO) }
    /// Writes `text` to standard output, flushing Swift's `print` buffer first so the
    /// two never reorder.
    public static func output(_ text: String) {
        fflush(nil)  // all C streams; naming `stdout` is not concurrency-safe in Swift 6
        write(text, to: STDOUT_FILENO)
    }

    /// True when `fd` is a terminal (progress bars redraw; otherwise plain lines).
    public static func isTerminal(_ fd: Int32 = STDERR_FILENO) -> Bool { isatty(fd) == 1 }

    /// The width in columns of the terminal on `fd`, or nil when it is not a terminal
    /// (or does not say).
    public static func terminalWidth(_ fd: Int32 = STDERR_FILENO) -> Int? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }  // stream closed: nothing useful left to do
                offset += n
            }
        }
    }
}
