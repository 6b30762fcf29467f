import numpy as np
import torch

# torchvision's detection models take [xmin, ymin, xmax, ymax] in pixels:
# export with --box-format xyxy --box-units pixels.
boxes = torch.from_numpy(np.load("out/boxes.npy"))
box_classes = torch.from_numpy(np.load("out/box_classes.npy")).long()
num_boxes = np.load("out/num_boxes.npy").tolist()
targets = [
    {"boxes": boxes[i, :n], "labels": box_classes[i, :n]} for i, n in enumerate(num_boxes)
]
for t in targets:
    print(tuple(t["boxes"].shape), t["labels"].tolist())
