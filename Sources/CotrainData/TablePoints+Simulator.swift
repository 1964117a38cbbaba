// The simulator's camera calibration for table points (recipe `model.table_points`).
import CotrainPolicy
import CotrainSim

extension TablePoints {
    /// Centre height (m) of the simulator's objects on the table: cubes 0.02, cylinders
    /// 0.025, bowls 0.0225 (`SimObject`); the labels the pointers learn are the centres.
    public static let simulatorPlaneHeight: Float = 0.022

    /// The simulator's third-person camera (world frame) and, with `wristFieldOfView`
    /// (degrees), its wrist camera in the tool's yaw frame: what a lab would measure on
    /// its own cameras.
    public static func simulator(wristFieldOfView: Float?) -> TablePoints {
        func calibration(_ c: Camera) -> CameraCalibration {
            CameraCalibration(
                position: [c.position.x, c.position.y, c.position.z], target: [c.target.x, c.target.y, c.target.z],
                up: [c.up.x, c.up.y, c.up.z], fieldOfView: c.fieldOfView * 180 / .pi)
        }
        // A top-down tool at the origin with yaw 0: its frame is the yaw frame.
        let wrist = wristFieldOfView.map { Camera.wrist(tool: .topDown(at: Vec3(0, 0, 0), yaw: 0), fieldOfView: $0) }
        return TablePoints(main: calibration(.thirdPerson()), wrist: wrist.map(calibration), planeHeight: simulatorPlaneHeight)
    }
}
