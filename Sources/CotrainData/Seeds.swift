// Seed derivation used by the data jobs. (Progress lines with rate and ETA —
// `ProgressMeter`, `ProgressReporter` — live in CotrainCore, shared by every command.)

/// SplitMix64 step: derives independent 64-bit seeds (per episode, per sample, per
/// step) from one user seed, stably across platforms and Swift versions.
@inline(__always)
func mixSeed(_ seed: UInt64, _ index: UInt64) -> UInt64 {
    var z = seed &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
