// CotrainRuntime/StopRequest.swift: Ctrl-C stops the arm.
//
// The SIGINT handler only sets an atomic flag (the one thing that is safe in a signal
// handler); the control loop checks the flag before every action and while waiting for
// the bridge, then calls `safetyStop` on the robot and ends the episode.
import Synchronization
import CotrainCore

/// Set by the SIGINT handler; read by every `StopRequest.interrupt`.
private let interruptFlag = Atomic<Bool>(false)

/// A request to stop, shared between the control loop and whoever may ask for a stop
/// (the SIGINT handler, a test, a GUI).
public final class StopRequest: Sendable {
    let requested = Atomic<Bool>(false)
    /// Whether SIGINT also counts as a stop request for this instance.
    let followsInterrupt: Bool

    /// A stop request; with `followsInterrupt`, Ctrl-C (after `installInterruptHandler`)
    /// triggers it too.
    public init(followsInterrupt: Bool = false) {
        self.followsInterrupt = followsInterrupt
    }

    /// Asks the control loop to stop the arm and end the episode.
    public func request() { requested.store(true, ordering: .sequentiallyConsistent) }

    /// Whether a stop was asked for (by `request()` or, if followed, by SIGINT).
    public var isRequested: Bool {
        requested.load(ordering: .sequentiallyConsistent)
            || (followsInterrupt && interruptFlag.load(ordering: .sequentiallyConsistent))
    }

    /// Installs a SIGINT handler that sets the interrupt flag instead of killing the
    /// process, so the runtime can stop the arm first. A second Ctrl-C after the flag is
    /// set restores the default action (terminate), for a stuck process.
    public static func installInterruptHandler() {
        _ = interruptFlag.load(ordering: .relaxed)  // initialise the global outside the handler
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in
            if interruptFlag.exchange(true, ordering: .sequentiallyConsistent) { signal(SIGINT, SIG_DFL) }
        }
        #else
        action.__sigaction_u.__sa_handler = { _ in
            if interruptFlag.exchange(true, ordering: .sequentiallyConsistent) { signal(SIGINT, SIG_DFL) }
        }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: blocking calls return EINTR and re-check the flag
        sigaction(SIGINT, &action, nil)
    }
}
