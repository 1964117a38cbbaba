// CotrainSim/Kinematics+IK.swift: numeric inverse kinematics by damped least squares.
//
// dq = Jᵀ (J Jᵀ + λ² I)⁻¹ e over the task rows the embodiment controls. Joint limits are
// handled by clamping plus a re-solve with the offending joints locked, and redundant
// arms (the Panda) add a null-space pull toward a rest posture so the elbow stays put.

/// Which components of the tool pose IK controls.
public enum IKTaskSpace: Sendable {
    /// Position and full orientation (6 rows): 6- and 7-joint arms, the floating hand.
    case full
    /// Position and yaw only (4 rows): SCARA and gantry tools always point down.
    case positionYaw

    var rows: [Int] {
        switch self {
        case .full: Self.fullRows
        case .positionYaw: Self.positionYawRows
        }
    }
    private static let fullRows = [0, 1, 2, 3, 4, 5]
    private static let positionYawRows = [0, 1, 2, 5]
}

/// Tuning for `KinematicChain.solveIK`.
public struct IKOptions: Sendable {
    /// Which pose components to match.
    public var space: IKTaskSpace
    /// Iteration cap; experts warm-start from the current joints and use few.
    public var maxIterations = 60
    /// Damping λ (m or rad): larger is steadier near singularities, slower to converge.
    public var damping: Float = 0.02
    /// Convergence tolerances (m, rad).
    public var positionTolerance: Float = 5e-4
    public var orientationTolerance: Float = 2e-3
    /// Null-space target posture (redundant chains only) and its gain per iteration.
    public var posture: JointVector? = nil
    public var postureGain: Float = 0.1

    public init(space: IKTaskSpace, posture: JointVector? = nil) {
        self.space = space; self.posture = posture
    }
}

/// The outcome of an IK solve.
public struct IKResult: Sendable {
    /// The configuration found (always within limits).
    public var q: JointVector
    /// Whether both tolerances were met.
    public var converged: Bool
    /// Remaining errors (m, rad) and iterations used.
    public var positionError: Float
    public var orientationError: Float
    public var iterations: Int
}

extension KinematicChain {
    /// Solves for a configuration whose tool pose matches `target`, starting from `q0`.
    /// Always returns a configuration within the joint limits; `converged` tells whether it
    /// reached the tolerances.
    public func solveIK(target: Pose, from q0: JointVector, options: IKOptions) -> IKResult {
        let (lo, hi) = limits
        let rows = options.space.rows
        let m = rows.count
        var dofMask = JointVector.zero
        for i in 0..<dof { dofMask[i] = 1 }
        var q = q0.clamped(lowerBound: lo, upperBound: hi)
        var posErr: Float = .infinity, rotErr: Float = .infinity
        for iteration in 0..<options.maxIterations {
            let (tcp, jac) = jacobian(q)
            var ep = target.translation - tcp.translation
            var er = (target.rotation * tcp.rotation.transposed).rotationVector
            posErr = length(ep)
            rotErr = options.space == .full ? length(er) : abs(er.z)
            if posErr < options.positionTolerance && rotErr < options.orientationTolerance {
                return IKResult(q: q, converged: true, positionError: posErr, orientationError: rotErr, iterations: iteration)
            }
            // Cap the error so one iteration never jumps far outside the linear regime.
            if posErr > 0.05 { ep *= 0.05 / posErr }
            let rl = length(er)
            if rl > 0.3 { er *= 0.3 / rl }
            var e6 = InlineArray<6, Float>(repeating: 0)
            e6[0] = ep.x; e6[1] = ep.y; e6[2] = ep.z; e6[3] = er.x; e6[4] = er.y; e6[5] = er.z
            var active = dofMask
            var dq = JointVector.zero
            for _ in 0..<2 {
                dq = dlsStep(jac, rows: rows, m: m, error: e6, active: active, q: q, options: options)
                // Lock joints that sit at a limit and would be pushed past it, then re-solve.
                let next = q + dq
                let pushesOut = (next .< lo .& q .<= lo + 1e-5) .| (next .> hi .& q .>= hi - 1e-5)
                if !any(pushesOut .& (active .> 0)) { break }
                active.replace(with: 0, where: pushesOut)
            }
            q = (q + dq).clamped(lowerBound: lo, upperBound: hi)
        }
        return IKResult(q: q, converged: false, positionError: posErr, orientationError: rotErr, iterations: options.maxIterations)
    }

    /// One damped-least-squares step over the selected rows with inactive joints removed.
    func dlsStep(
        _ jac: Jacobian, rows: [Int], m: Int, error: InlineArray<6, Float>, active: JointVector,
        q: JointVector, options: IKOptions
    ) -> JointVector {
        var j = InlineArray<6, JointVector>(repeating: .zero)
        var e = InlineArray<6, Float>(repeating: 0)
        for r in 0..<m { j[r] = jac.rows[rows[r]] * active; e[r] = error[rows[r]] }
        // A = J Jᵀ + λ² I  (m × m, symmetric positive definite)
        var a = InlineArray<36, Float>(repeating: 0)
        let l2 = options.damping * options.damping
        for r in 0..<m {
            for c in 0...r {
                let v = (j[r] * j[c]).sum() + (r == c ? l2 : 0)
                a[r * 6 + c] = v; a[c * 6 + r] = v
            }
        }
        choleskyFactor(&a, m)
        var y = e
        choleskySolve(a, m, &y)
        var dq = JointVector.zero
        for r in 0..<m { dq += y[r] * j[r] }
        if let posture = options.posture, dof > m {
            // Null-space projection: z − Jᵀ A⁻¹ J z moves joints without moving the tool (to first order).
            let z = (posture - q) * options.postureGain * active
            var w = InlineArray<6, Float>(repeating: 0)
            for r in 0..<m { w[r] = (j[r] * z).sum() }
            choleskySolve(a, m, &w)
            var back = JointVector.zero
            for r in 0..<m { back += w[r] * j[r] }
            dq += z - back
        }
        return dq
    }
}

/// In-place Cholesky factorisation of an m×m SPD matrix stored row-major with stride 6;
/// the lower triangle receives L.
func choleskyFactor(_ a: inout InlineArray<36, Float>, _ m: Int) {
    for c in 0..<m {
        var d = a[c * 6 + c]
        for k in 0..<c { d -= a[c * 6 + k] * a[c * 6 + k] }
        let l = max(d, 1e-12).squareRoot()
        a[c * 6 + c] = l
        for r in (c + 1)..<max(m, c + 1) {
            var s = a[r * 6 + c]
            for k in 0..<c { s -= a[r * 6 + k] * a[c * 6 + k] }
            a[r * 6 + c] = s / l
        }
    }
}

/// Solves L Lᵀ x = b in place given the factor from `choleskyFactor`.
func choleskySolve(_ a: InlineArray<36, Float>, _ m: Int, _ b: inout InlineArray<6, Float>) {
    for r in 0..<m {
        var s = b[r]
        for k in 0..<r { s -= a[r * 6 + k] * b[k] }
        b[r] = s / a[r * 6 + r]
    }
    for r in stride(from: m - 1, through: 0, by: -1) {
        var s = b[r]
        for k in (r + 1)..<max(m, r + 1) { s -= a[k * 6 + r] * b[k] }
        b[r] = s / a[r * 6 + r]
    }
}
