// CotrainSim: tabletop world, embodiments, kinematics, tasks, renderer, experts.
