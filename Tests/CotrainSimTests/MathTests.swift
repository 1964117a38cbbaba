import Foundation
import Testing
@testable import CotrainSim

@Suite struct MathTests {
    @Test func rotationVectorInvertsAxisAngle() {
        var rng = SimRandom(seed: 1)
        for k in 0..<200 {
            let axis = normalized(Vec3(rng.gaussian(), rng.gaussian(), rng.gaussian()))
            // Include angles right at π, where the log map needs its special branch.
            let angle = k < 20 ? Float.pi - Float(k) * 1e-4 : rng.uniform(0, .pi - 0.01)
            let r = rotation(axis: axis, angle: angle)
            let v = r.rotationVector
            #expect(abs(length(v) - angle) < 2e-3)
            #expect(rotationDistance(rotation(axis: normalized(v), angle: length(v)), r) < 3e-3)
        }
    }

    @Test func poseInverseAndComposition() {
        let a = Pose(rotation: .rotZ(0.3) * .rotX(1.1), translation: Vec3(0.1, -0.2, 0.3))
        let b = Pose(rotation: .rotY(-0.7), translation: Vec3(0.4, 0.0, -0.1))
        let p = Vec3(0.05, 0.2, -0.3)
        expectClose((a * b).apply(p), a.apply(b.apply(p)), 1e-5)
        expectClose((a.inverse * a).apply(p), p, 1e-5)
        #expect(abs(Pose.topDown(at: .zero, yaw: 0.7).yaw - 0.7) < 1e-5)
        expectClose(Pose.topDown(at: .zero, yaw: 0.7).rotation.c2, Vec3(0, 0, -1), 1e-5)
    }

    @Test func randomIsDeterministicAndSeedSensitive() {
        var a = SimRandom(seed: 42), b = SimRandom(seed: 42), c = SimRandom(seed: 43)
        let xs = (0..<8).map { _ in a.next() }
        #expect(xs == (0..<8).map { _ in b.next() })
        #expect(xs != (0..<8).map { _ in c.next() })
        var s1 = SimRandom(seed: 42, stream: 1)
        #expect(xs[0] != s1.next())
        var u = SimRandom(seed: 7)
        let samples = (0..<10_000).map { _ in u.unit() }
        #expect(samples.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = samples.reduce(0, +) / Float(samples.count)
        #expect(abs(mean - 0.5) < 0.02)
    }
}

/// Rodrigues' formula, independent of the code under test.
func rotation(axis k: Vec3, angle: Float) -> Mat3 {
    let c = cosf(angle), s = sinf(angle), t = 1 - c
    return Mat3(
        Vec3(t * k.x * k.x + c, t * k.x * k.y + s * k.z, t * k.x * k.z - s * k.y),
        Vec3(t * k.x * k.y - s * k.z, t * k.y * k.y + c, t * k.y * k.z + s * k.x),
        Vec3(t * k.x * k.z + s * k.y, t * k.y * k.z - s * k.x, t * k.z * k.z + c))
}
