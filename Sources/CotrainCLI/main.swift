import CotrainCore
print("cotrain")
