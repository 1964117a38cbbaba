// CotrainSim/Scene.swift: sampling a scene and task instance from a seed.
//
// The layout comes from its own random stream and shift-only clutter from another, so
// an evaluation can replay one layout under each distribution shift.

/// Spawn region for objects: reachable by every embodiment and clear of the push lines.
let spawnX: ClosedRange<Float> = 0.33...0.61
let spawnY: ClosedRange<Float> = -0.2...0.2

enum SceneSampler {
    /// Samples objects and the task instance. Named objects come first in `objects`.
    static func sample(
        _ spec: TaskSpec, shifts: DistributionShift, rng: inout SimRandom, shiftRng: inout SimRandom
    ) -> (World, TaskInstance) {
        let cfg = spec.scene
        precondition(!cfg.colours.isEmpty && !cfg.shapes.isEmpty, "a scene needs at least one colour and one graspable shape")
        var objects: [SimObject] = []
        func object(_ shape: ObjectShape, _ colour: SimColour) -> Int {
            let scale = shape == .bowl ? 1 : rng.uniform(1 - cfg.sizeJitter, 1 + cfg.sizeJitter)
            var o = SimObject.standard(shape, colour: colour, scale: scale)
            o.yaw = shape == .cube ? rng.uniform(-.pi / 4, .pi / 4) : 0
            objects.append(o)
            return objects.count - 1
        }
        func graspable() -> (ObjectShape, SimColour) { (rng.pick(cfg.shapes), rng.pick(cfg.colours)) }

        let goal: TaskGoal
        var reservedColours: Set<SimColour> = []
        switch spec.family {
        case .pick:
            let (s, c) = graspable()
            goal = .pick(object: object(s, c))
        case .place:
            let (s, c) = graspable()
            let a = object(s, c)
            goal = .place(object: a, bowl: object(.bowl, rng.pick(cfg.colours)))
        case .push:
            let (s, c) = graspable()
            goal = .push(object: object(s, c), side: rng.chance(0.5) ? .left : .right, startY: 0)
        case .stack:
            let (s1, c1) = graspable()
            var (s2, c2) = graspable()
            while (s2, c2) == (s1, c1) && (cfg.shapes.count > 1 || cfg.colours.count > 1) { (s2, c2) = graspable() }
            let a = object(s1, c1)
            goal = .stack(object: a, onto: object(s2, c2))
        case .putAllOfColour:
            let colour = rng.pick(cfg.colours)
            let others = cfg.colours.filter { $0 != colour }
            let bowl = object(.bowl, others.isEmpty ? colour : rng.pick(others))
            let targets = (0..<(2 + rng.below(2))).map { _ in object(rng.pick(cfg.shapes), colour) }
            if !others.isEmpty { objects[object(rng.pick(cfg.shapes), rng.pick(others))].isDistractor = true }
            reservedColours = [colour]
            goal = .containAll(objects: targets, bowls: Array(repeating: bowl, count: targets.count))
        case .sortByColour:
            precondition(cfg.colours.count >= 2, "sort-by-colour needs two colours in the scene config")
            var colours = cfg.colours
            rng.shuffle(&colours)
            let bowls = [object(.bowl, colours[0]), object(.bowl, colours[1])]
            let which = [0, 1, rng.below(2)]
            let targets = which.map { object(rng.pick(cfg.shapes), colours[$0]) }
            reservedColours = [colours[0], colours[1]]
            goal = .containAll(objects: targets, bowls: which.map { bowls[$0] })
        }
        let named = objects.map { ($0.shape, $0.colour) }
        func addDistractor(_ palette: [SimColour], _ r: inout SimRandom) {
            for _ in 0..<20 {
                let s = r.pick(cfg.shapes), c = r.pick(palette)
                if reservedColours.contains(c) || named.contains(where: { $0 == (s, c) }) { continue }
                var o = SimObject.standard(s, colour: c, scale: r.uniform(0.9, 1.1))
                o.yaw = r.uniform(-.pi / 4, .pi / 4)
                o.isDistractor = true
                objects.append(o)
                return
            }
        }
        let nominalClutter = cfg.distractors.lowerBound + rng.below(cfg.distractors.count)
        for _ in 0..<nominalClutter { addDistractor(cfg.colours, &rng) }
        for _ in 0..<shifts.extraDistractors { addDistractor(SimColour.allCases, &shiftRng) }

        layOut(&objects, goal: goal, rng: &rng, shiftRng: &shiftRng, firstShiftObject: objects.count - shifts.extraDistractors)
        var finalGoal = goal
        if case .push(let i, let side, _) = goal { finalGoal = .push(object: i, side: side, startY: objects[i].position.y) }
        var world = World(objects: objects)
        world.settleAll()
        let instruction = instructionText(spec, finalGoal, objects, rng: &rng)
        let instance = TaskInstance(
            family: spec.family, instruction: instruction, goal: finalGoal,
            milestones: TaskInstance.milestoneNames(finalGoal, objects))
        return (world, instance)
    }

    /// Places objects without overlap (bowls first: they need the most room). Clutter that
    /// does not fit is dropped rather than failing the episode.
    static func layOut(
        _ objects: inout [SimObject], goal: TaskGoal, rng: inout SimRandom, shiftRng: inout SimRandom,
        firstShiftObject: Int
    ) {
        let order = objects.indices.sorted { (objects[$0].shape == .bowl ? 0 : 1, $0) < (objects[$1].shape == .bowl ? 0 : 1, $1) }
        var placed: [Int] = []
        var dropped: Set<Int> = []
        var pushLane: (x: Float, y: Float, side: Float, r: Float)? = nil
        for i in order {
            var ok = false
            for _ in 0..<200 {
                var p = i >= firstShiftObject
                    ? Vec3(shiftRng.uniform(spawnX.lowerBound, spawnX.upperBound), shiftRng.uniform(spawnY.lowerBound, spawnY.upperBound), 0)
                    : Vec3(rng.uniform(spawnX.lowerBound, spawnX.upperBound), rng.uniform(spawnY.lowerBound, spawnY.upperBound), 0)
                if case .push(let target, let side, _) = goal, target == i {
                    p.y = side.sign * rng.uniform(-0.07, 0.03)
                    pushLane = (p.x, p.y, side.sign, objects[i].footprintRadius)
                }
                let r = objects[i].footprintRadius
                let clear = placed.allSatisfy { j in
                    planarDistance(p, objects[j].position) >= r + objects[j].footprintRadius + 0.025
                }
                // Keep the strip the pusher sweeps (from behind the object to past the line) free.
                let inLane = pushLane.map { lane in
                    i != placedTarget(goal) && abs(p.x - lane.x) < r + lane.r + 0.04
                        && (p.y - lane.y) * lane.side > -(lane.r + r + 0.1)
                } ?? false
                if clear && !inLane { objects[i].position = p; ok = true; break }
            }
            if ok { placed.append(i) } else { dropped.insert(i) }
        }
        precondition(dropped.allSatisfy { objects[$0].isDistractor }, "named objects must always fit the spawn region")
        objects = objects.indices.filter { !dropped.contains($0) }.map { objects[$0] }
    }

    static func placedTarget(_ goal: TaskGoal) -> Int? {
        if case .push(let i, _, _) = goal { return i }
        return nil
    }

    static func instructionText(_ spec: TaskSpec, _ goal: TaskGoal, _ objects: [SimObject], rng: inout SimRandom) -> String {
        let set = spec.phrasing
        switch goal {
        case .pick(let i):
            return InstructionTemplates.instruction(.pick, set, object: objects[i].name, rng: &rng)
        case .place(let i, let b):
            return InstructionTemplates.instruction(.place, set, object: objects[i].name, base: objects[b].name, rng: &rng)
        case .push(let i, let side, _):
            return InstructionTemplates.instruction(.push, set, object: objects[i].name, side: side.rawValue, rng: &rng)
        case .stack(let i, let b):
            return InstructionTemplates.instruction(.stack, set, object: objects[i].name, base: objects[b].name, rng: &rng)
        case .containAll(let os, let bs):
            return InstructionTemplates.instruction(
                spec.family, set, object: objects[os[0]].name, base: objects[bs[0]].name,
                colour: objects[os[0]].colour.word, rng: &rng)
        }
    }
}
