// Seeded pseudo-random numbers: xoshiro256** seeded through SplitMix64.
//
// Training must be reproducible bit for bit from a seed, so the module never uses the
// system generator. Normal samples use Box–Muller, Beta samples use two Gamma draws
// (Marsaglia–Tsang), all in a fixed number of generator calls per accepted sample.
import Foundation

/// SplitMix64: a tiny generator used to expand one seed into xoshiro's 256-bit state.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman & Vigna): the module's generator for initialisation,
/// dropout-like noise, flow-matching times and data sampling.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Float?

    /// A generator whose whole state derives from `seed`.
    public init(seed: UInt64) {
        var mix = SplitMix64(seed: seed)
        (s0, s1, s2, s3) = (mix.next(), mix.next(), mix.next(), mix.next())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A float uniform in `[0, 1)` with 24 random bits.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A double uniform in `[0, 1)` with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A float uniform in `[low, high)`.
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextFloat()
    }

    /// A standard normal sample (Box–Muller; the second value of each pair is kept for
    /// the next call).
    public mutating func normal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = 1 - nextDouble()  // (0, 1]: log is finite
        let u2 = nextDouble()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = Float(r * sin(theta))
        return Float(r * cos(theta))
    }

    /// A normal sample with the given mean and standard deviation.
    public mutating func normal(mean: Float, std: Float) -> Float { mean + std * normal() }

    /// A Gamma(shape, 1) sample (Marsaglia–Tsang; shape < 1 via the boost `U^(1/shape)`).
    public mutating func gamma(shape: Double) -> Double {
        precondition(shape > 0, "gamma shape must be positive")
        if shape < 1 {
            let u = 1 - nextDouble()
            return gamma(shape: shape + 1) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            let x = Double(normal())
            let v0 = 1 + c * x
            if v0 <= 0 { continue }
            let v = v0 * v0 * v0
            let u = 1 - nextDouble()
            if Foundation.log(u) < 0.5 * x * x + d - d * v + d * Foundation.log(v) { return d * v }
        }
    }

    /// A Beta(a, b) sample in `[0, 1]` (e.g. flow-matching time sampling).
    public mutating func beta(_ a: Double, _ b: Double) -> Float {
        let x = gamma(shape: a), y = gamma(shape: b)
        return Float(x / (x + y))
    }

    /// An integer uniform in `0..<bound` (Lemire's multiply-shift, unbiased).
    public mutating func int(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }

    /// Fills `tensor` with normal samples of the given standard deviation.
    public mutating func fillNormal(_ tensor: Tensor, std: Float) {
        let p = tensor.data
        for i in 0..<tensor.count { p[i] = std * normal() }
    }

    /// Fills `tensor` with samples uniform in `[low, high)`.
    public mutating func fillUniform(_ tensor: Tensor, _ low: Float, _ high: Float) {
        let p = tensor.data
        for i in 0..<tensor.count { p[i] = uniform(low, high) }
    }
}
