// swift-tools-version:6.0
// cotrain: federated co-training nodes for robot-learning labs.
// Layering (lower never imports higher): C shims → CotrainCore → learning / world →
// data → network → the `cotrain` CLI. See docs/architecture.md.
import Foundation
import PackageDescription

/// The CPU that release builds of numeric code are tuned for.
///
/// Without a target CPU, Swift lowers SIMD FMA to library calls (measured ~100× slower
/// on SIMD16<Float> kernels), so we pick one at build time:
///   COTRAIN_TARGET_CPU=<llvm cpu>   use it (e.g. znver4, skylake-avx512, x86-64-v3)
///   COTRAIN_TARGET_CPU=none         no -target-cpu (portable binary, slow kernels)
///   unset                           detect from /proc/cpuinfo (znver4, skylake-avx512, haswell)
/// After changing the variable run `swift package clean` (SwiftPM caches manifests).
func detectedTargetCPU() -> String? {
    let env = ProcessInfo.processInfo.environment["COTRAIN_TARGET_CPU"]
    if let env, !env.isEmpty { return env == "none" ? nil : env }
    #if arch(x86_64)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return nil }
    let flags = Set(line.split(separator: " ").map(String.init))
    let amd = info.contains("AuthenticAMD")
    let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
    let zen4 = avx512 + ["avx512_bf16", "avx512_vnni", "avx512vbmi", "avx512_vbmi2", "gfni", "vpclmulqdq"]
    if amd && zen4.allSatisfy(flags.contains) { return "znver4" }
    if avx512.allSatisfy(flags.contains) { return "skylake-avx512" }
    if ["avx2", "fma", "bmi2", "movbe"].allSatisfy(flags.contains) { return "haswell" }
    return nil
    #else
    return nil
    #endif
}

let cpuFlags: [String] = detectedTargetCPU().map { ["-target-cpu", $0] } ?? []

/// Numeric modules are optimised even in debug builds, so the test suite (which trains
/// and simulates at small sizes) stays fast without a release build of everything.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(cpuFlags),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]
let baseSettings: [SwiftSetting] = [.unsafeFlags(cpuFlags)]

let package = Package(
    name: "cotrain",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cotrain", targets: ["CotrainCLI"]),
        .library(name: "CotrainCore", targets: ["CotrainCore"]),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .target(name: "CotrainCore", dependencies: ["COpenSSL", "CZstd"], swiftSettings: baseSettings),
        .target(name: "CotrainTensor", dependencies: [], swiftSettings: numericSettings),
        .target(name: "CotrainPolicy", dependencies: ["CotrainCore", "CotrainTensor"], swiftSettings: numericSettings),
        .target(name: "CotrainSim", dependencies: [], swiftSettings: numericSettings),
        .target(name: "CotrainRuntime", dependencies: ["CotrainCore", "CotrainSim"], swiftSettings: numericSettings),
        .target(name: "CotrainData", dependencies: ["CotrainCore", "CotrainSim", "CotrainTensor", "CotrainPolicy", "CotrainRuntime"], swiftSettings: numericSettings),
        .target(name: "CotrainReport", dependencies: ["CotrainCore"], swiftSettings: baseSettings),
        .target(name: "CotrainFederation", dependencies: ["CotrainCore"], swiftSettings: numericSettings),
        .executableTarget(
            name: "CotrainCLI",
            dependencies: ["CotrainCore", "CotrainTensor", "CotrainPolicy", "CotrainSim", "CotrainRuntime", "CotrainData", "CotrainFederation", "CotrainReport"],
            swiftSettings: baseSettings),
        .testTarget(name: "CotrainCoreTests", dependencies: ["CotrainCore"]),
        .testTarget(name: "CotrainTensorTests", dependencies: ["CotrainTensor"], swiftSettings: numericSettings),
        .testTarget(name: "CotrainFederationTests", dependencies: ["CotrainFederation"]),
        .testTarget(name: "CotrainRuntimeTests", dependencies: ["CotrainRuntime"], swiftSettings: numericSettings),
        .testTarget(name: "CotrainPolicyTests", dependencies: ["CotrainPolicy"], swiftSettings: numericSettings),
        .testTarget(name: "CotrainDataTests", dependencies: ["CotrainData"], swiftSettings: numericSettings),
        .testTarget(name: "CotrainReportTests", dependencies: ["CotrainReport"], exclude: ["Fixtures"]),
        .testTarget(name: "CotrainSimTests", dependencies: ["CotrainSim"], swiftSettings: numericSettings),
    ],
    swiftLanguageModes: [.v6]
)
