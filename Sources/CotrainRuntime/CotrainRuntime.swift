// CotrainRuntime: the local runtime that drives robots and evaluates policies.
//
//   Robot (protocol)      SimRobot (the simulator) · ArmBridgeClient (a real arm, docs/arm-bridge.md)
//   SafetyEnvelope        checks and limits every action; StopRequest turns Ctrl-C into a stop
//   ControlLoop           one episode at a fixed rate with action chunking and timing stats
//   PolicyProvider        the seam where policies plug in (expert, hold, the learned VLA)
//   EvaluationHarness     suites × conditions × seeds → EvaluationReport (Wilson intervals,
//                         comparisons, JSON, GIF animations); docs/evaluation.md
//   ArmSimServer          `cotrain arm-sim`: the bridge protocol served by the simulator
