// CotrainSim/Mesh.swift: unit meshes built once; draw calls scale and place them.
//
// Triangles wind counter-clockwise seen from outside, so (b − a) × (c − a) is the
// outward normal: the renderer uses it for back-face culling and Lambert shading.
import Foundation

/// An indexed triangle mesh in its own unit frame.
struct Mesh: Sendable {
    var vertices: [Vec3] = []
    /// Three indices per triangle.
    var indices: [UInt16] = []

    var triangleCount: Int { indices.count / 3 }

    mutating func add(_ p: Vec3) -> UInt16 {
        vertices.append(p)
        return UInt16(vertices.count - 1)
    }

    mutating func triangle(_ a: UInt16, _ b: UInt16, _ c: UInt16) { indices += [a, b, c] }

    /// Two triangles for a quad given counter-clockwise from outside.
    mutating func quad(_ a: UInt16, _ b: UInt16, _ c: UInt16, _ d: UInt16) {
        triangle(a, b, c); triangle(a, c, d)
    }

    /// Cube with corners at ±0.5.
    static let cube: Mesh = {
        var m = Mesh()
        for i in 0..<8 {
            _ = m.add(Vec3(i & 1 == 0 ? -0.5 : 0.5, i & 2 == 0 ? -0.5 : 0.5, i & 4 == 0 ? -0.5 : 0.5))
        }
        m.quad(0, 2, 3, 1); m.quad(4, 5, 7, 6)  // −z, +z
        m.quad(0, 1, 5, 4); m.quad(2, 6, 7, 3)  // −y, +y
        m.quad(0, 4, 6, 2); m.quad(1, 3, 7, 5)  // −x, +x
        return m
    }()

    /// Ring of `segments` points of radius `r` at height `z`.
    mutating func ring(_ r: Float, _ z: Float, _ segments: Int) -> [UInt16] {
        (0..<segments).map { k in
            let a = Float(k) * 2 * .pi / Float(segments)
            return add(Vec3(r * cosf(a), r * sinf(a), z))
        }
    }

    /// Cylinder of radius 1 from z = 0 to z = 1.
    static let cylinder: Mesh = {
        var m = Mesh()
        let n = 12
        let bottom = m.ring(1, 0, n), top = m.ring(1, 1, n)
        let cb = m.add(Vec3(0, 0, 0)), ct = m.add(Vec3(0, 0, 1))
        for k in 0..<n {
            let k1 = (k + 1) % n
            m.quad(bottom[k], bottom[k1], top[k1], top[k])
            m.triangle(ct, top[k], top[k1])
            m.triangle(cb, bottom[k1], bottom[k])
        }
        return m
    }()

    /// Open bowl of outer radius 1 and height 1, with the standard bowl's wall and floor
    /// proportions: a closed solid (outer wall, rim, inner wall, floor, bottom).
    static let bowl: Mesh = {
        var m = Mesh()
        let n = 14
        let standard = SimObject.standard(.bowl, colour: .white)
        let inner = standard.innerRadius / standard.halfWidth
        let floor = SimObject.bowlWall / standard.height
        let ob = m.ring(1, 0, n), ot = m.ring(1, 1, n)
        let it = m.ring(inner, 1, n), ib = m.ring(inner, floor, n)
        let cb = m.add(Vec3(0, 0, 0)), cf = m.add(Vec3(0, 0, floor))
        for k in 0..<n {
            let k1 = (k + 1) % n
            m.quad(ob[k], ob[k1], ot[k1], ot[k])  // outer wall
            m.quad(ot[k], ot[k1], it[k1], it[k])  // rim
            m.quad(ib[k1], ib[k], it[k], it[k1])  // inner wall, facing the axis
            m.triangle(cf, ib[k], ib[k1])  // floor
            m.triangle(cb, ob[k1], ob[k])  // bottom
        }
        return m
    }()
}
