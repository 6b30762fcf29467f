import json

import numpy as np

images = np.load("out/images.npy")            # (N, H, W, 3) uint8
boxes = np.load("out/boxes.npy")              # (N, M, 4) float32, [ymin, xmin, ymax, xmax] in 0..1, padded with 0
box_classes = np.load("out/box_classes.npy")  # (N, M) int32 class indices, padded with -1
num_boxes = np.load("out/num_boxes.npy")      # (N,) int32 boxes of each image
masks = np.load("out/masks.npy")              # (N, H, W) uint8 class maps (datasets with masks)
class_names = json.load(open("out/class_names.json"))  # name of each class index
class_ids = json.load(open("out/class_ids.json"))      # the source's id of each class index

for i in range(len(images)):
    n = num_boxes[i]
    for box, c in zip(boxes[i, :n], box_classes[i, :n]):
        print(i, class_names[c], class_ids[c], box.tolist())
