// CotrainTensor: CPU float32 tensors, SIMD kernels, tape autodiff, optimizers.
