// CotrainRuntime: the Robot interface, simulated robot, arm bridge, safety envelope, control loop, evaluation harness.
import CotrainCore
import CotrainSim
