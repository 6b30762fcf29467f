"""The TensorFlow route batchscope replaces: image_dataset_from_directory, .numpy() per batch, np.concatenate.

Usage: python tf_route.py DIR HEIGHT WIDTH
Prints one JSON line: seconds (from the call to the concatenated arrays), images, shape, dtype.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main():
    directory, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    start = time.perf_counter()
    ds = tf.keras.utils.image_dataset_from_directory(
        directory, image_size=(height, width), batch_size=32, shuffle=False, verbose=False
    )
    xs, ys = [], []
    for x, y in ds:
        xs.append(x.numpy())
        ys.append(y.numpy())
    images = np.concatenate(xs)
    labels = np.concatenate(ys)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "images": int(images.shape[0]), "shape": list(images.shape),
                      "dtype": str(images.dtype), "labels": int(labels.shape[0])}))


if __name__ == "__main__":
    main()
