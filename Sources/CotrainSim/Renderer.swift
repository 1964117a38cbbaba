// CotrainSim/Renderer.swift: a small software rasterizer (z-buffered, flat Lambert).
//
// Built for many tiny images per second: meshes are precomputed, every per-frame buffer
// lives in the renderer and is reused, and the inner loops run on raw pointers.
import Foundation

/// One mesh instance to draw: `linear · v + offset` maps unit-mesh vertices to the world.
struct DrawItem: Sendable {
    enum Shape: Sendable { case cube, cylinder, bowl }
    var shape: Shape
    var linear: Mat3
    var offset: Vec3
    var albedo: Vec3
    var textured: Bool
}

/// Rasterizes tabletop scenes into RGB8 images (row-major, top row first, 3 bytes/pixel).
public struct Renderer: Sendable {
    /// Image size in pixels.
    public let width: Int
    public let height: Int
    var depth: [Float]
    var items: [DrawItem] = []
    /// Per-vertex scratch: screen x, y, 1/depth, 1 (all 0 when in front of the near plane),
    /// world and view-space positions.
    var screen: [SIMD4<Float>] = []
    var world: [Vec3] = []
    var view: [Vec3] = []
    var points: [Vec3] = []
    let cube = Mesh.cube, cylinder = Mesh.cylinder, bowl = Mesh.bowl

    /// A renderer for `width × height` images.
    public init(width: Int = 64, height: Int = 64) {
        precondition(width > 0 && height > 0 && width <= 4096 && height <= 4096, "image size must be 1...4096")
        self.width = width; self.height = height
        depth = [Float](repeating: 0, count: width * height)
        items.reserveCapacity(64)
        points.reserveCapacity(16)
        let maxVertices = max(cube.vertices.count, cylinder.vertices.count, bowl.vertices.count)
        screen = [SIMD4<Float>](repeating: .zero, count: maxVertices)
        world = [Vec3](repeating: .zero, count: maxVertices)
        view = world
    }

    /// Near clipping plane distance (m); the wrist camera sits close to the fingers.
    static let near: Float = 0.01

    /// Bytes in one image.
    public var imageByteCount: Int { width * height * 3 }

    /// Draws the queued items with `settings`' lighting through `camera` into `image`.
    mutating func rasterizeItems(settings: RenderSettings, camera: Camera, into image: inout [UInt8]) {
        precondition(camera.width == width && camera.height == height, "camera size must match the renderer")
        if image.count != imageByteCount { image = [UInt8](repeating: 0, count: imageByteCount) }
        let bg = settings.backgroundColour
        let bgBytes = (UInt8(min(255, bg.x * 255)), UInt8(min(255, bg.y * 255)), UInt8(min(255, bg.z * 255)))
        let (right, up, forward) = camera.basis
        let focal = camera.focal
        let cx = Float(width) * 0.5, cy = Float(height) * 0.5
        let light = settings.lightDirection
        let w = width, h = height
        func project(_ v: Vec3) -> SIMD4<Float> {
            let iz = 1 / v.z
            return SIMD4(cx + v.x * focal * iz, cy - v.y * focal * iz, iz, 1)
        }
        image.withUnsafeMutableBufferPointer { img in
            depth.withUnsafeMutableBufferPointer { zbuf in
                for i in 0..<(w * h) {
                    zbuf[i] = 0
                    img[3 * i] = bgBytes.0; img[3 * i + 1] = bgBytes.1; img[3 * i + 2] = bgBytes.2
                }
                screen.withUnsafeMutableBufferPointer { scr in
                    world.withUnsafeMutableBufferPointer { wp in
                      view.withUnsafeMutableBufferPointer { vp in
                        for item in items {
                            let mesh: Mesh
                            switch item.shape {
                            case .cube: mesh = cube
                            case .cylinder: mesh = cylinder
                            case .bowl: mesh = bowl
                            }
                            mesh.vertices.withUnsafeBufferPointer { verts in
                                for k in 0..<verts.count {
                                    let p = item.linear * verts[k] + item.offset
                                    wp[k] = p
                                    let d = p - camera.position
                                    let v = Vec3(dot(d, right), dot(d, up), dot(d, forward))
                                    vp[k] = v
                                    scr[k] = v.z >= Self.near ? project(v) : .zero
                                }
                            }
                            mesh.indices.withUnsafeBufferPointer { idx in
                                for t in 0..<(idx.count / 3) {
                                    let i0 = Int(idx[3 * t]), i1 = Int(idx[3 * t + 1]), i2 = Int(idx[3 * t + 2])
                                    var n = cross(wp[i1] - wp[i0], wp[i2] - wp[i0])
                                    n = normalized(n)
                                    let shade = settings.ambient + settings.lightIntensity * max(0, dot(n, light))
                                    let colour = item.albedo * shade
                                    if scr[i0].w > 0 && scr[i1].w > 0 && scr[i2].w > 0 {
                                        Self.triangle(
                                            scr[i0], scr[i2], scr[i1], colour: colour, textured: item.textured,
                                            width: w, height: h, image: img, depth: zbuf)
                                        continue
                                    }
                                    // Straddles the near plane: clip in view space, draw the fan.
                                    var polygon = InlineArray<4, Vec3>(repeating: .zero)
                                    var count = 0
                                    var tri = InlineArray<3, Vec3>(repeating: .zero)
                                    tri[0] = vp[i0]; tri[1] = vp[i1]; tri[2] = vp[i2]
                                    for k in 0..<3 {
                                        let a = tri[k], b = tri[(k + 1) % 3]
                                        if a.z >= Self.near { polygon[count] = a; count += 1 }
                                        if (a.z >= Self.near) != (b.z >= Self.near) {
                                            polygon[count] = a + (b - a) * ((Self.near - a.z) / (b.z - a.z)); count += 1
                                        }
                                    }
                                    guard count >= 3 else { continue }
                                    for k in 1..<(count - 1) {
                                        Self.triangle(
                                            project(polygon[0]), project(polygon[k + 1]), project(polygon[k]), colour: colour,
                                            textured: item.textured, width: w, height: h, image: img, depth: zbuf)
                                    }
                                }
                            }
                        }
                      }
                    }
                }
            }
        }
    }

    /// Fills one triangle. Vertices arrive in reversed winding (screen y points down, which
    /// mirrors the image), so front faces have positive signed area here.
    static func triangle(
        _ v0: SIMD4<Float>, _ v1: SIMD4<Float>, _ v2: SIMD4<Float>, colour: Vec3, textured: Bool,
        width: Int, height: Int, image: UnsafeMutableBufferPointer<UInt8>, depth: UnsafeMutableBufferPointer<Float>
    ) {
        let area = (v1.x - v0.x) * (v2.y - v0.y) - (v1.y - v0.y) * (v2.x - v0.x)
        guard area > 1e-9 else { return }  // back-facing or degenerate
        let minX = max(0, Int(min(v0.x, v1.x, v2.x).rounded(.down)))
        let maxX = min(width - 1, Int(max(v0.x, v1.x, v2.x).rounded(.up)))
        let minY = max(0, Int(min(v0.y, v1.y, v2.y).rounded(.down)))
        let maxY = min(height - 1, Int(max(v0.y, v1.y, v2.y).rounded(.up)))
        guard minX <= maxX, minY <= maxY else { return }
        let inv = 1 / area
        // Edge functions E_ij(P) = a·Px + b·Py + c, positive inside.
        let a0 = v1.y - v2.y, b0 = v2.x - v1.x, c0 = v1.x * v2.y - v1.y * v2.x  // opposite v0
        let a1 = v2.y - v0.y, b1 = v0.x - v2.x, c1 = v2.x * v0.y - v2.y * v0.x  // opposite v1
        let a2 = v0.y - v1.y, b2 = v1.x - v0.x, c2 = v0.x * v1.y - v0.y * v1.x  // opposite v2
        // 1/depth is affine in screen space.
        let az = (a0 * v0.z + a1 * v1.z + a2 * v2.z) * inv
        let bz = (b0 * v0.z + b1 * v1.z + b2 * v2.z) * inv
        let cz = (c0 * v0.z + c1 * v1.z + c2 * v2.z) * inv
        let c = colour.clamped(lowerBound: .zero, upperBound: Vec3(1, 1, 1)) * 255
        let lit = (UInt8(c.x), UInt8(c.y), UInt8(c.z))
        let dark = (UInt8(c.x * 0.6), UInt8(c.y * 0.6), UInt8(c.z * 0.6))
        for py in minY...maxY {
            let fy = Float(py) + 0.5, fx = Float(minX) + 0.5
            var e0 = a0 * fx + b0 * fy + c0, e1 = a1 * fx + b1 * fy + c1, e2 = a2 * fx + b2 * fy + c2
            var z = az * fx + bz * fy + cz
            var pixel = py * width + minX
            for _ in minX...maxX {
                if e0 >= 0 && e1 >= 0 && e2 >= 0 && z > depth[pixel] {
                    depth[pixel] = z
                    // Checker texture in barycentric coordinates, so it sticks to the surface.
                    let rgb = textured && ((Int(e1 * inv * 5) + Int(e2 * inv * 5)) & 1 == 1) ? dark : lit
                    image[3 * pixel] = rgb.0; image[3 * pixel + 1] = rgb.1; image[3 * pixel + 2] = rgb.2
                }
                e0 += a0; e1 += a1; e2 += a2; z += az; pixel += 1
            }
        }
    }
}
