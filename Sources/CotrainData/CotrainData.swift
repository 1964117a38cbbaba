// CotrainData: the data side of co-training (docs/data.md, docs/recipes.md).
//
//   EpisodeStore …        robot / human-video episodes: one safetensors file each, index, verify
//   DataStatistics …  exact 2nd/98th percentiles per source × embodiment
//   VLShardStore …        WebDataset shards in a BlobStore + manifest; generator; importer
//   Recipe …              policies/*.json: phases, mixtures, modality switches, validation, hash
//   MixtureSampler …      deterministic per-step batches written into a preallocated TrainingBatch
import CotrainCore
import CotrainSim
