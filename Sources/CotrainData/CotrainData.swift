// CotrainData: episode store, vision-language shards, normalisation statistics, recipes, mixtures, the trainer loop.
import CotrainCore
import CotrainSim
