#!/usr/bin/env python3
"""Reference figure for `cotrain bench sim`: MuJoCo stepping a UR5e-like arm.

A 6-DoF arm with UR5e link lengths (position-controlled joints), a two-finger
parallel gripper and four boxes on a table, written inline as MJCF. One control
step here is what one `SimEnvironment.advance` is in cotrain: 0.1 s of motion,
i.e. 50 physics substeps of 2 ms with contacts. We report both figures:

    physics_steps_per_s   raw mj_step calls per second (2 ms each)
    control_steps_per_s   0.1 s control steps per second (50 mj_step each)

Usage: python3 benchmarks/mujoco_arm.py [--seconds S] [--json]
Needs `pip install mujoco`; exits with status 3 and "not installed" otherwise.
"""
import argparse
import json
import sys
import time

ARM = """
<mujoco model="ur5e_like">
  <option timestep="0.002" integrator="implicitfast"/>
  <default>
    <joint damping="2" armature="0.1"/>
    <geom condim="3" friction="1 0.005 0.0001" contype="2" conaffinity="0"/>
    <position kp="400" forcerange="-150 150"/>
  </default>
  <worldbody>
    <!-- Arm links (contype 2) touch the table and boxes but not each other. -->
    <geom name="table" type="box" size="0.5 0.5 0.02" pos="0.45 0 -0.02" contype="1" conaffinity="3"/>
    <body name="base" pos="0 0 0">
      <geom type="cylinder" size="0.06 0.08" pos="0 0 0.08"/>
      <body name="shoulder" pos="0 0 0.1625">
        <joint name="shoulder_pan" axis="0 0 1" range="-6.28 6.28"/>
        <geom type="capsule" fromto="0 0 0 0 0.13 0" size="0.05"/>
        <body name="upper_arm" pos="0 0.13 0">
          <joint name="shoulder_lift" axis="0 1 0" range="-6.28 6.28"/>
          <geom type="capsule" fromto="0 0 0 0.425 0 0" size="0.045"/>
          <body name="forearm" pos="0.425 -0.12 0">
            <joint name="elbow" axis="0 1 0" range="-3.14 3.14"/>
            <geom type="capsule" fromto="0 0 0 0.3922 0 0" size="0.035"/>
            <body name="wrist1" pos="0.3922 0 0">
              <joint name="wrist_1" axis="0 1 0" range="-6.28 6.28"/>
              <geom type="capsule" fromto="0 0 0 0 0.1333 0" size="0.03"/>
              <body name="wrist2" pos="0 0.1333 0">
                <joint name="wrist_2" axis="0 0 1" range="-6.28 6.28"/>
                <geom type="capsule" fromto="0 0 0 0 0 -0.0997" size="0.03"/>
                <body name="wrist3" pos="0 0 -0.0997">
                  <joint name="wrist_3" axis="0 1 0" range="-6.28 6.28"/>
                  <geom type="cylinder" size="0.03 0.02" euler="1.57 0 0"/>
                  <body name="hand" pos="0 0.0996 0">
                    <geom type="box" size="0.02 0.045 0.02"/>
                    <body name="left_finger" pos="0 0.03 -0.05">
                      <joint name="left" type="slide" axis="0 1 0" range="0 0.0425"/>
                      <geom type="box" size="0.01 0.005 0.03" contype="1" conaffinity="1"/>
                    </body>
                    <body name="right_finger" pos="0 -0.03 -0.05">
                      <joint name="right" type="slide" axis="0 -1 0" range="0 0.0425"/>
                      <geom type="box" size="0.01 0.005 0.03" contype="1" conaffinity="1"/>
                    </body>
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
    BOXES
  </worldbody>
  <actuator>
    <position joint="shoulder_pan"/> <position joint="shoulder_lift"/> <position joint="elbow"/>
    <position joint="wrist_1"/> <position joint="wrist_2"/> <position joint="wrist_3"/>
    <position joint="left" kp="100"/> <position joint="right" kp="100"/>
  </actuator>
</mujoco>
"""

BOX = '<body pos="{x} {y} 0.021"><freejoint/><geom type="box" size="0.02 0.02 0.02" mass="0.05" contype="1" conaffinity="3"/></body>'


def model_xml():
    boxes = "\n".join(BOX.format(x=0.4 + 0.06 * i, y=0.1 * (i - 1.5)) for i in range(4))
    return ARM.replace("BOXES", boxes)


def measure(seconds):
    import mujoco
    import math

    model = mujoco.MjModel.from_xml_string(model_xml())
    data = mujoco.MjData(model)
    substeps = 50  # 0.1 s control period at 2 ms
    steps = 0
    start = time.perf_counter()
    while True:
        # A smooth joint-space motion, like an expert's deltas, re-targeted every control step.
        t = steps * 0.002
        for j in range(6):
            data.ctrl[j] = 0.4 * math.sin(0.7 * t + j)
        data.ctrl[6] = data.ctrl[7] = 0.02 * (1 + math.sin(t))
        mujoco.mj_step(model, data, nstep=substeps)
        steps += substeps
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    return {
        "mujoco_version": mujoco.__version__,
        "physics_steps_per_s": steps / elapsed,
        "control_steps_per_s": steps / substeps / elapsed,
        "timestep_s": 0.002,
        "substeps_per_control_step": substeps,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        import mujoco  # noqa: F401
    except ImportError:
        print("mujoco: not installed (pip install mujoco)", file=sys.stderr)
        return 3
    result = measure(args.seconds)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"MuJoCo {result['mujoco_version']}: {result['physics_steps_per_s']:.0f} physics steps/s "
              f"({result['control_steps_per_s']:.0f} control steps/s of 0.1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
