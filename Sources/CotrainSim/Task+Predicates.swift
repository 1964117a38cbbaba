// CotrainSim/Task+Predicates.swift: automatic success and milestone predicates.
//
// Predicates read only world state (object poses, supports, what is held), so a
// learned policy, an expert and a real-arm replay are all scored the same way.

extension TaskInstance {
    /// Height (m) an object's bottom must reach above the table to count as lifted.
    public static let liftHeight: Float = 0.05
    /// Distance from the centre line (m) an object must be pushed past.
    public static let pushLine: Float = 0.2

    /// Whether the task is complete in `world`.
    public func isSuccess(_ world: World) -> Bool {
        switch goal {
        case .pick(let i):
            return world.held == i && world.objects[i].position.z >= Self.liftHeight
        case .place(let i, let bowl):
            return world.held != i && world.container(of: i) == bowl
        case .push(let i, let side, _):
            let o = world.objects[i]
            return world.held != i && o.support == nil && o.position.y * side.sign >= Self.pushLine
        case .stack(let i, let base):
            return world.isResting(i, on: base) && world.objects[base].support == nil && world.held != base
        case .containAll(let objects, let bowls):
            for k in objects.indices where world.held == objects[k] || world.container(of: objects[k]) != bowls[k] {
                return false
            }
            return true
        }
    }

    /// Evaluates each milestone now; the environment latches them over an episode.
    public func milestoneStates(_ world: World, into states: inout [Bool]) {
        states.removeAll(keepingCapacity: true)
        switch goal {
        case .pick(let i):
            states.append(world.held == i)
            states.append(isSuccess(world))
        case .place(let i, _), .stack(let i, _):
            states.append(world.held == i)
            states.append(isSuccess(world))
        case .push(let i, let side, let startY):
            let progress = (world.objects[i].position.y - startY) * side.sign
            let needed = Self.pushLine - startY * side.sign
            states.append(progress >= 0.02)
            states.append(progress >= 0.5 * needed)
            states.append(isSuccess(world))
        case .containAll(let objects, let bowls):
            for k in objects.indices {
                states.append(world.held != objects[k] && world.container(of: objects[k]) == bowls[k])
            }
        }
    }

    /// Milestone descriptions for a goal, naming objects as instructions do.
    static func milestoneNames(_ goal: TaskGoal, _ objects: [SimObject]) -> [String] {
        func n(_ i: Int) -> String { "the \(objects[i].name)" }
        switch goal {
        case .pick(let i): return ["grasp \(n(i))", "lift \(n(i))"]
        case .place(let i, let b): return ["grasp \(n(i))", "\(n(i)) in \(n(b))"]
        case .push(let i, let side, _):
            return ["move \(n(i))", "\(n(i)) halfway to the \(side.rawValue)", "\(n(i)) on the \(side.rawValue) side"]
        case .stack(let i, let b): return ["grasp \(n(i))", "\(n(i)) on \(n(b))"]
        case .containAll(let os, let bs): return os.indices.map { "\(n(os[$0])) in \(n(bs[$0]))" }
        }
    }
}
