// CotrainSim/World.swift: the tabletop and its objects, with kinematic gravity.
//
// There is no dynamics engine: a released object falls straight down to the highest
// support under its footprint (table, bowl floor, bowl rim or another object). Because
// support is found from conservative circular footprints, resting objects never overlap.

/// Limits of the table and of where the tool may go.
public struct Workspace: Sendable, Equatable {
    /// Table top extent (objects are kept inside it).
    public var tableX: ClosedRange<Float> = 0.05...0.85
    public var tableY: ClosedRange<Float> = -0.42...0.42
    /// Where objects may be pushed to (a margin inside the table edge).
    public var objectX: ClosedRange<Float> = 0.15...0.78
    public var objectY: ClosedRange<Float> = -0.34...0.34
    /// Box the tool centre point must stay in; motions leaving it are refused.
    public var toolX: ClosedRange<Float> = 0.05...0.85
    public var toolY: ClosedRange<Float> = -0.45...0.45
    public var toolZ: ClosedRange<Float> = 0.004...0.75

    public init() {}

    /// Whether a tool centre point lies inside the allowed box.
    public func contains(tool p: Vec3) -> Bool {
        toolX.contains(p.x) && toolY.contains(p.y) && toolZ.contains(p.z)
    }
}

/// The objects on the table plus which one the robot holds.
public struct World: Sendable {
    /// All objects; task goals refer to them by index.
    public var objects: [SimObject]
    /// Index of the held object, if any.
    public var held: Int?
    /// The held object's bottom-centre pose in the tool frame, fixed at grasp time.
    public var heldOffset: Pose = .identity
    /// Table and tool limits.
    public var workspace: Workspace

    public init(objects: [SimObject] = [], workspace: Workspace = Workspace()) {
        self.objects = objects; self.workspace = workspace
    }

    /// The height an object of footprint `radius` centred at `p` would rest at, and what it
    /// would rest on. `skip(j)` excludes objects (the one being placed, objects not yet
    /// settled).
    public func restingHeight(at p: Vec3, radius: Float, skip: (Int) -> Bool) -> (z: Float, support: Int?) {
        var best: Float = 0
        var support: Int? = nil
        for j in objects.indices where j != held && !skip(j) {
            let o = objects[j]
            let d = planarDistance(p, o.position)
            guard d < radius + o.footprintRadius else { continue }
            let h: Float =
                (o.shape == .bowl && d + radius <= o.innerRadius) ? o.floorHeight : o.top
            if h > best { best = h; support = j }
        }
        return (best, support)
    }

    /// Lets object `i` fall (or rise, if it was released inside something) to its support.
    public mutating func drop(_ i: Int) {
        let o = objects[i]
        let rest = restingHeight(at: o.position, radius: o.footprintRadius) { $0 == i }
        objects[i].position.z = rest.z
        objects[i].support = rest.support
    }

    /// Re-settles every resting object bottom-up, e.g. after the object under a stack was
    /// taken away. Runs only on grasp, release and push events, so it may allocate.
    public mutating func settleAll() {
        let order = objects.indices.filter { $0 != held }.sorted {
            (objects[$0].position.z, $0) < (objects[$1].position.z, $1)
        }
        var settled = [Bool](repeating: false, count: objects.count)
        for i in order {
            let o = objects[i]
            let rest = restingHeight(at: o.position, radius: o.footprintRadius) { !settled[$0] }
            objects[i].position.z = rest.z
            objects[i].support = rest.support
            settled[i] = true
        }
    }

    /// The bowl object `i` ends up in by following what it rests on, if any.
    public func container(of i: Int) -> Int? {
        var current = i
        for _ in 0..<objects.count {
            guard current != held, let s = objects[current].support else { return nil }
            if objects[s].shape == .bowl {
                // Resting on the rim is not "in" the bowl.
                return objects[current].position.z < objects[s].top - 1e-4 ? s : nil
            }
            current = s
        }
        return nil
    }

    /// Whether object `i` rests, directly, on object `j`.
    public func isResting(_ i: Int, on j: Int) -> Bool { held != i && objects[i].support == j }

    /// Pairs of resting objects whose volumes overlap (should always be empty).
    public func interpenetratingPairs() -> [(Int, Int)] {
        var pairs: [(Int, Int)] = []
        for a in objects.indices where a != held {
            for b in objects.indices where b > a && b != held {
                if overlaps(a, b) { pairs.append((a, b)) }
            }
        }
        return pairs
    }

    func overlaps(_ a: Int, _ b: Int) -> Bool {
        let oa = objects[a], ob = objects[b]
        let d = planarDistance(oa.position, ob.position)
        guard d < oa.footprintRadius + ob.footprintRadius - 1e-4 else { return false }
        guard oa.position.z < ob.top - 1e-4 && ob.position.z < oa.top - 1e-4 else { return false }
        func inside(_ x: SimObject, _ bowl: SimObject) -> Bool {
            bowl.shape == .bowl && planarDistance(x.position, bowl.position) + x.footprintRadius <= bowl.innerRadius + 1e-4
                && x.position.z >= bowl.floorHeight - 1e-4
        }
        return !inside(oa, ob) && !inside(ob, oa)
    }
}
