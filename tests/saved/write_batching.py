# Writes the fixtures of tests/source_saved_batching.rs into sys.argv[1]: one dataset saved by
# tf.data.Dataset.save per case, in <case>/saved, with what numpy makes of its elements:
# <case>/stack/<i>.npy (np.stack over the elements) and, where the elements can be joined that way,
# <case>/concatenate/<i>.npy (np.concatenate), component i in tf.nest order.
import os, sys
import numpy as np
import tensorflow as tf

root = sys.argv[1]


def n(dtype, *shape):
    """Distinct, wrapping values of `dtype` in `shape`."""
    values = np.arange(int(np.prod(shape, dtype=int))).reshape(shape)
    if np.dtype(dtype).kind in "iu":
        values = values * 37 % 251 - (100 if np.dtype(dtype).kind == "i" else 0)
    else:
        values = values / 8 - 3
    return values.astype(dtype)


def generated(elements, signature):
    return tf.data.Dataset.from_generator(lambda: iter(elements), output_signature=signature)


cases = {
    # The bug of issue 21: one image per element, (H, W) and (H, W, C).
    "images_hw": tf.data.Dataset.from_tensor_slices(n(np.uint8, 50, 28, 28)),
    "images_hwc": tf.data.Dataset.from_tensor_slices(n(np.uint8, 50, 32, 32, 3)),
    "images_gray": tf.data.Dataset.from_tensor_slices(n(np.float32, 6, 5, 7, 1)),
    "images_rgba": tf.data.Dataset.from_tensor_slices(n(np.uint8, 6, 4, 4, 4)),
    # Batches of images with a fixed size: (N, H, W, C).
    "image_batches": tf.data.Dataset.from_tensor_slices(n(np.uint8, 12, 8, 8, 3)).batch(4, drop_remainder=True),
    "gray_image_batches": tf.data.Dataset.from_tensor_slices(n(np.float16, 10, 6, 6, 1)).batch(5, drop_remainder=True),
    # A scalar component: samples, even beside an unknown leading dim.
    "scalar_label": tf.data.Dataset.from_tensor_slices((n(np.int16, 6, 3, 3), n(np.int64, 6))),
    "scalar_beside_unknown": generated(
        [(n(np.float32, 2, 3) + i, np.int32(i)) for i in range(5)],
        (tf.TensorSpec((None, 3), tf.float32), tf.TensorSpec((), tf.int32))),
    # An unknown leading dim: batches (the last one partial), even beside a fixed one.
    "unknown_leading": tf.data.Dataset.from_tensor_slices(n(np.float32, 10, 5)).batch(4),
    "unknown_beside_fixed": generated(
        [(n(np.uint16, 3, 2) + i, n(np.int8, 3) + i) for i in range(4)],
        (tf.TensorSpec((None, 2), tf.uint16), tf.TensorSpec((3,), tf.int8))),
    # Components sharing a fixed leading dim: batches (drop_remainder).
    "shared_leading": tf.data.Dataset.from_tensor_slices({
        "image": n(np.uint8, 13, 4, 4),
        "label": n(np.int64, 13),
        "extra": n(np.float32, 13, 2)}).batch(3, drop_remainder=True),
    # Fixed leading dims that differ (an image and its one-hot label): samples.
    "different_leading": tf.data.Dataset.from_tensor_slices((n(np.uint8, 6, 28, 28), np.eye(10, dtype=np.float32)[:6])),
    # Ambiguous: one component that is neither an image nor a batch of images.
    "vectors": tf.data.Dataset.from_tensor_slices(n(np.float32, 7, 5)),
    "gray_batches": tf.data.Dataset.from_tensor_slices(n(np.uint8, 20, 6, 6)).batch(5, drop_remainder=True),
    "two_channels": tf.data.Dataset.from_tensor_slices(n(np.int16, 6, 4, 4, 2)),
    "volumes": tf.data.Dataset.from_tensor_slices(n(np.uint8, 3, 2, 4, 4, 5)),
}
for name, ds in cases.items():
    d = os.path.join(root, name)
    ds.save(os.path.join(d, "saved"))
    elements = [tf.nest.flatten(e) for e in ds.as_numpy_iterator()]
    for join in [np.stack, np.concatenate]:
        try:
            arrays = [join([e[i] for e in elements]) for i in range(len(elements[0]))]
        except ValueError:  # np.concatenate of scalars
            continue
        os.makedirs(os.path.join(d, join.__name__))
        for i, array in enumerate(arrays):
            np.save(os.path.join(d, join.__name__, f"{i}.npy"), array)
