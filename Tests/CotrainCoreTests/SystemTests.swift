import Testing
@testable import CotrainCore

@Suite struct SystemTests {
    @Test func failedOpenIsTypedWithPath() throws {
        let error = #expect(throws: SystemError.self) {
            try sysCall("open", "/nonexistent/x") { open("/nonexistent/x", O_RDONLY) }
        }
        #expect(error?.code == ENOENT)
        #expect(error?.description.contains("/nonexistent/x") == true)
    }
}
