// CotrainPolicy: the vision-language-action policy, losses, tokenizer, normalisation, checkpoints.
import CotrainCore
import CotrainTensor
