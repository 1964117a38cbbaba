import Testing
@testable import CotrainSim

@Suite struct WorldTests {
    @Test func droppedObjectsLandOnTheirSupport() {
        var w = world([cube(.red, at: 0.4, 0), bowl(.blue, at: 0.55, 0.1), cube(.green, at: 0.4, 0.005, z: 0.3)])
        // The green cube was released above the red one: it rests on it.
        #expect(w.objects[2].support == 0)
        #expect(abs(w.objects[2].position.z - w.objects[0].top) < 1e-6)
        // Released over the bowl's centre: inside, on the floor.
        w.objects[2].position = Vec3(0.55, 0.1, 0.3)
        w.drop(2)
        #expect(w.container(of: 2) == 1)
        #expect(abs(w.objects[2].position.z - w.objects[1].floorHeight) < 1e-6)
        // Released over the rim: rests on the rim, not inside.
        w.objects[2].position = Vec3(0.55 + 0.075, 0.1, 0.3)
        w.drop(2)
        #expect(w.objects[2].support == 1)
        #expect(w.container(of: 2) == nil)
        // Released in free space: on the table.
        w.objects[2].position = Vec3(0.7, -0.2, 0.3)
        w.drop(2)
        #expect(w.objects[2].support == nil && w.objects[2].position.z == 0)
    }

    @Test func removingTheBaseOfAStackLetsTheTopFall() {
        var w = world([cube(.red, at: 0.4, 0), cube(.green, at: 0.4, 0, z: 0.2)])
        #expect(w.objects[1].support == 0)
        w.held = 0
        w.objects[0].position.z = 0.3
        w.settleAll()
        #expect(w.objects[1].support == nil && w.objects[1].position.z == 0)
    }

    /// Random drops of random objects, including into bowls and onto stacks, never
    /// leave two resting objects overlapping.
    @Test func randomDropsNeverInterpenetrate() {
        var rng = SimRandom(seed: 9)
        for _ in 0..<50 {
            var objects: [SimObject] = []
            for k in 0..<8 {
                let shape: ObjectShape = k < 2 ? .bowl : (rng.chance(0.5) ? .cube : .cylinder)
                var o = SimObject.standard(shape, colour: rng.pick(SimColour.allCases), scale: rng.uniform(0.9, 1.1))
                o.position = Vec3(rng.uniform(0.35, 0.55), rng.uniform(-0.1, 0.1), rng.uniform(0, 0.3))
                o.yaw = rng.uniform(-1, 1)
                objects.append(o)
            }
            var w = world(objects)
            #expect(w.interpenetratingPairs().isEmpty)
            for _ in 0..<20 {
                let i = 2 + rng.below(6)
                w.held = i
                w.settleAll()
                w.objects[i].position = Vec3(rng.uniform(0.35, 0.55), rng.uniform(-0.1, 0.1), 0.4)
                w.held = nil
                w.drop(i)
                #expect(w.interpenetratingPairs().isEmpty)
            }
        }
    }

    @Test func pushingMovesObjectsOutOfThePusherAndKeepsThemOnTheTable() {
        var w = world([cube(.red, at: 0.5, 0), cube(.blue, at: 0.5, 0.06)])
        // Pusher just to the right of the red cube, moving left: red moves, then blue.
        var tip = Vec3(0.5, -0.03, 0.015)
        for _ in 0..<40 {
            tip.y += 0.02
            w.push(tip: tip, radius: 0.012, reach: 0.05)
            #expect(w.interpenetratingPairs().isEmpty)
        }
        #expect(w.objects[0].position.y > 0.25)
        #expect(w.objects.allSatisfy { w.workspace.objectY.contains($0.position.y) })
        // A pusher above an object does not touch it.
        let before = w.objects
        w.push(tip: Vec3(w.objects[0].position.x, w.objects[0].position.y, 0.2), radius: 0.012, reach: 0.05)
        #expect(w.objects == before)
    }
}
