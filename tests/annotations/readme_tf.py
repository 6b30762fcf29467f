import numpy as np
import tensorflow as tf

num_boxes = np.load("out/num_boxes.npy")
# One row per image, as many boxes as it has: (N, None, 4) and (N, None).
boxes = tf.RaggedTensor.from_tensor(np.load("out/boxes.npy"), lengths=num_boxes)
box_classes = tf.RaggedTensor.from_tensor(np.load("out/box_classes.npy"), lengths=num_boxes)
ds = tf.data.Dataset.from_tensor_slices(
    (np.load("out/images.npy"), {"boxes": boxes, "classes": box_classes})
)
for image, target in ds.take(3):
    print(image.shape, target["boxes"].shape, target["classes"].numpy().tolist())
