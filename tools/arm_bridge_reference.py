#!/usr/bin/env python3
"""Reference arm bridge for cotrain (protocol version 1, see docs/arm-bridge.md).

A skeleton for labs: it speaks the whole protocol and enforces the safety rules a
bridge must, around a `FakeArm` that integrates commands in memory. Replace the
methods of `FakeArm` (marked "ROBOT CALL") with your ROS 2 or vendor SDK calls.

    python3 tools/arm_bridge_reference.py --listen 127.0.0.1:7600

Python 3.8+ standard library only.
"""
import argparse
import json
import math
import select
import socket
import struct
import sys
import time

PROTOCOL = 1
MAX_HEADER = 64 * 1024
MAX_PAYLOAD = 16 * 1024 * 1024

# UR5e: joint names, limits (rad) and speed limits (rad/s).
JOINTS = [("shoulder_pan", -6.2832, 6.2832, 3.1416), ("shoulder_lift", -6.2832, 6.2832, 3.1416),
          ("elbow", -3.1416, 3.1416, 3.1416), ("wrist_1", -6.2832, 6.2832, 3.1416),
          ("wrist_2", -6.2832, 6.2832, 3.1416), ("wrist_3", -6.2832, 6.2832, 3.1416)]
HOME = [-0.3006, -1.7005, 1.8912, -1.7615, -1.5708, -1.8713]
RATE_HZ = 10.0
WIDTH, HEIGHT = 64, 64


def log(*parts):
    print("bridge:", *parts, file=sys.stderr, flush=True)


class FakeArm:
    """The robot. Every method marked ROBOT CALL is where your driver goes."""

    def __init__(self):
        self.q = list(HOME)
        self.gripper = 1.0  # opening fraction, 1 = open

    def move_home(self):
        # ROBOT CALL: plan and execute a slow move to HOME (e.g. a MoveIt goal), then wait.
        self.q = list(HOME)
        self.gripper = 1.0

    def apply_joint_delta(self, deltas, gripper_command):
        # ROBOT CALL: send q + deltas as the position target for the next control period
        # (ROS 2: publish a trajectory_msgs/JointTrajectory point with time_from_start = 1/RATE_HZ;
        # UR RTDE: servoJ(target, t=1/RATE_HZ); Franka: a joint position motion generator).
        self.q = [q + d for q, d in zip(self.q, deltas)]
        # ROBOT CALL: gripper.close() if gripper_command > 0 else gripper.open()
        self.gripper = max(0.0, self.gripper - 0.35) if gripper_command > 0 else min(1.0, self.gripper + 0.35)

    def hold(self):
        # ROBOT CALL: command the current measured position (or the driver's "stop" with
        # controlled deceleration). Must be safe to call at any time, repeatedly.
        pass

    def joint_positions(self):
        # ROBOT CALL: read the measured joint positions (e.g. from /joint_states).
        return list(self.q)

    def camera_rgb(self):
        # ROBOT CALL: grab the latest camera frame, resize to WIDTH x HEIGHT, RGB8 bytes.
        shade = int(100 + 50 * math.sin(self.q[0]))
        return bytes([shade, shade, shade]) * (WIDTH * HEIGHT)


def send(conn, header, payload=b""):
    body = json.dumps(header, allow_nan=False).encode()  # never NaN: the client rejects it
    conn.sendall(struct.pack(">II", len(body), len(payload)) + body + payload)


def recv_exact(conn, n, deadline):
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([conn], [], [], left)[0]:
            raise TimeoutError("frame incomplete")
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client closed the connection")
        data += chunk
    return data


def recv_frame(conn):
    h, p = struct.unpack(">II", recv_exact(conn, 8, time.monotonic() + 2))
    if not 2 <= h <= MAX_HEADER or p > MAX_PAYLOAD:
        raise ValueError(f"bad frame lengths {h}/{p}")
    header = json.loads(recv_exact(conn, h, time.monotonic() + 2))
    recv_exact(conn, p, time.monotonic() + 2)  # clients send no payloads; read and drop
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise ValueError("header is not an object with a string type")
    return header


class Session:
    """One client connection: the bridge state machine."""

    def __init__(self, conn, arm, watchdog):
        self.conn, self.arm, self.watchdog = conn, arm, watchdog
        self.seq = 0               # our state counter
        self.last_request = 0      # last client seq applied
        self.in_episode = False
        self.stopped = False
        self.holding = False
        self.instruction = ""
        self.steps = 0
        self.last_command = time.monotonic()

    def capabilities(self):
        bound = [v / RATE_HZ for (_, _, _, v) in JOINTS]
        return {"type": "capabilities", "protocol": PROTOCOL, "bridge": "reference bridge (fake arm)",
                "embodiment": "ur5e", "action_space": "joint_delta",
                "action": {"names": [j[0] + ".delta" for j in JOINTS] + ["gripper"],
                           "lower": [-b for b in bound] + [-1.0], "upper": bound + [1.0]},
                "joints": [{"name": n, "lower": lo, "upper": hi, "max_velocity": v} for (n, lo, hi, v) in JOINTS],
                "cameras": [{"name": "main", "width": WIDTH, "height": HEIGHT, "format": "rgb8"}],
                "control_rate_hz": RATE_HZ, "watchdog_ms": int(self.watchdog * 1000),
                "has_success_signal": False, "simulated": True}

    def send_state(self, with_instruction=False):
        self.seq += 1
        header = {"type": "state", "seq": self.seq, "ack": self.last_request, "t": time.monotonic(),
                  "joints": self.arm.joint_positions(), "gripper": self.arm.gripper,
                  "success": None, "completion": None, "done": False, "holding": self.holding,
                  "cameras": [{"name": "main", "width": WIDTH, "height": HEIGHT, "format": "rgb8"}]}
        if with_instruction:
            header["instruction"] = self.instruction
        send(self.conn, header, self.arm.camera_rgb())

    def error(self, code, message):
        log("error:", code, message)
        send(self.conn, {"type": "error", "code": code, "message": message})

    def hold(self, why):
        if not self.holding:
            log("hold:", why)
        self.holding = True
        self.arm.hold()

    def command(self, m):
        seq, deltas, grip = m.get("seq"), m.get("deltas"), m.get("gripper")
        if not self.in_episode:
            return self.error("not_ready", "send reset first")
        if not isinstance(seq, int) or seq <= self.last_request:
            return self.error("sequence", "seq must increase")
        self.last_request = seq
        if self.stopped:
            return self.error("stopped", "the arm was stopped; send reset")
        ok = (m.get("mode") == "joint_delta" and isinstance(deltas, list) and len(deltas) == len(JOINTS)
              and isinstance(grip, (int, float)) and -1 <= grip <= 1)
        ok = ok and all(isinstance(d, (int, float)) and math.isfinite(d) and abs(d) <= v / RATE_HZ + 1e-4
                        for d, (_, _, _, v) in zip(deltas, JOINTS))
        target = [q + d for q, d in zip(self.arm.joint_positions(), deltas or [])] if ok else []
        ok = ok and all(lo <= t <= hi for t, (_, lo, hi, _) in zip(target, JOINTS))
        if not ok:
            self.hold("rejected command")
            return self.error("out_of_range", "command outside the capabilities; holding position")
        self.holding = False
        self.last_command = time.monotonic()
        self.arm.apply_joint_delta(deltas, grip)
        self.steps += 1
        # A real bridge sends the state sampled one control period after applying the command.
        self.send_state()

    def handle(self, m):
        kind = m["type"]
        if kind == "hello":
            if m.get("protocol") != PROTOCOL:
                self.error("version", f"this bridge speaks protocol {PROTOCOL}")
                return False
            send(self.conn, self.capabilities())
        elif kind == "reset":
            if not isinstance(m.get("seq"), int) or m["seq"] <= self.last_request:
                self.error("sequence", "seq must increase")
                return True
            self.last_request = m["seq"]
            self.instruction = m.get("prompt", "")
            log("reset: operator, set up:", self.instruction)
            self.arm.move_home()
            self.in_episode, self.stopped, self.holding, self.steps = True, False, False, 0
            self.last_command = time.monotonic()
            self.send_state(with_instruction=True)
        elif kind == "command":
            self.command(m)
        elif kind == "stop":
            log("stop:", m.get("reason", ""))
            self.stopped = True
            self.hold("stop requested")
            if self.in_episode:
                self.send_state()
        elif kind == "end_episode":
            self.last_request = max(self.last_request, m.get("seq", 0))
            self.in_episode = False
            self.hold("episode over")
            send(self.conn, {"type": "episode_result", "success": None, "completion": None, "steps": self.steps})
        elif kind == "heartbeat":
            send(self.conn, {"type": "heartbeat", "t": time.monotonic()})
        elif kind == "bye":
            return False
        else:
            self.error("unexpected", f"a bridge does not accept {kind!r}")
        return True

    def run(self):
        while True:
            # Watchdog: no fresh command within the deadline during an episode => hold.
            if not select.select([self.conn], [], [], 0.05)[0]:
                if self.in_episode and not self.holding and time.monotonic() - self.last_command > self.watchdog:
                    self.hold("watchdog: no command for %.0f ms" % (self.watchdog * 1000))
                continue
            try:
                message = recv_frame(self.conn)
            except (ValueError, TimeoutError) as e:  # framing lost: hold and drop the client
                self.hold(f"bad frame ({e})")
                try:
                    self.error("bad_frame", str(e))
                except OSError:
                    pass
                return
            if not self.handle(message):
                return


def main():
    parser = argparse.ArgumentParser(description="cotrain reference arm bridge (fake arm)")
    parser.add_argument("--listen", default="127.0.0.1:7600", help="HOST:PORT (port 0 picks one)")
    parser.add_argument("--watchdog-ms", type=int, default=500)
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    server = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host.strip("[]"), int(port)))
    server.listen(1)
    print(f"listening on {host}:{server.getsockname()[1]}", flush=True)
    arm = FakeArm()
    while True:
        conn, peer = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log("client connected", peer)
        try:
            Session(conn, arm, args.watchdog_ms / 1000).run()
        except (ConnectionError, OSError) as e:
            log("connection lost:", e)
        finally:
            arm.hold()  # whatever happened, the arm holds position
            conn.close()
            log("client disconnected; arm holding")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
