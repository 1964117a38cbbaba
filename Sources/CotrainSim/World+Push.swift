// CotrainSim/World+Push.swift: kinematic pushing. The tool (closed fingers or a suction
// quill) is a vertical capsule; an object it overlaps is moved straight out of it, and
// objects the pushed one runs into are moved out of the way in turn.

extension World {
    /// Moves objects out of a vertical pusher capsule of `radius` spanning
    /// `tip.z ... tip.z + reach`. Returns whether anything was touched.
    @discardableResult
    public mutating func push(tip: Vec3, radius: Float, reach: Float) -> Bool {
        var touched = false
        for j in objects.indices where j != held {
            let o = objects[j]
            guard tip.z < o.top - 1e-3, tip.z + reach > o.position.z else { continue }
            let contact = radius + pushRadius(o)
            let dx = o.position.x - tip.x, dy = o.position.y - tip.y
            let d = (dx * dx + dy * dy).squareRoot()
            guard d < contact else { continue }
            // A pusher dead on the centre has no preferred direction; push away from the base.
            let dir = d > 1e-6 ? Vec3(dx / d, dy / d, 0) : Vec3(1, 0, 0)
            displace(j, by: dir * (contact - d))
            touched = true
        }
        if touched { separateResting() }
        return touched
    }

    /// Footprint radius used against the pusher: a cube is treated as a slightly larger
    /// circle than its half side, so the pusher meets it about where a face would be.
    func pushRadius(_ o: SimObject) -> Float {
        o.shape == .cube ? o.halfWidth * 1.15 : o.halfWidth
    }

    /// Moves object `i` and everything stacked on or inside it, staying on the table.
    mutating func displace(_ i: Int, by delta: Vec3) {
        var d = delta
        let p = objects[i].position
        let ws = workspace
        d.x = min(max(p.x + d.x, ws.objectX.lowerBound), ws.objectX.upperBound) - p.x
        d.y = min(max(p.y + d.y, ws.objectY.lowerBound), ws.objectY.upperBound) - p.y
        for k in objects.indices where k != held && (k == i || restsOnChain(k, above: i)) {
            objects[k].position += d
        }
    }

    /// Whether object `k` is (transitively) supported by object `i`.
    func restsOnChain(_ k: Int, above i: Int) -> Bool {
        var current = objects[k].support
        var guardCount = objects.count
        while let c = current, guardCount > 0 {
            if c == i { return true }
            current = objects[c].support
            guardCount -= 1
        }
        return false
    }

    /// Pushes apart table-level objects that a push made overlap, then re-settles stacks
    /// whose base moved. Few passes suffice for the handful of objects in a scene.
    mutating func separateResting() {
        for _ in 0..<4 {
            var moved = false
            for a in objects.indices where a != held && objects[a].support == nil {
                for b in objects.indices where b != a && b != held && objects[b].support == nil {
                    let oa = objects[a], ob = objects[b]
                    let minD = oa.footprintRadius + ob.footprintRadius
                    let dx = ob.position.x - oa.position.x, dy = ob.position.y - oa.position.y
                    let d = (dx * dx + dy * dy).squareRoot()
                    guard d < minD - 1e-4 else { continue }
                    let dir = d > 1e-6 ? Vec3(dx / d, dy / d, 0) : Vec3(0, 1, 0)
                    displace(b, by: dir * (minD - d + 1e-4))
                    moved = true
                }
            }
            if !moved { break }
        }
        settleAll()
    }
}
