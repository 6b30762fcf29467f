# Writes the fixtures of tests/gui_sources.rs into sys.argv[1]:
#   saved_float/  tf.data.Dataset.save of (float32 images (10, 8, 8, 3) in [0,1], int64 labels i % 3),
#                 batched by 4: stored batches of 4, 4 and 2;
#   saved_uint8/  the same images as uint8 (value * 255), unbatched, labels (i % 3) % 2;
#   values.npz    one float64 array "x" (6, 10), no labels: rows that are not images;
#   onehot.npz    x_train uint8 (6, 28, 28), y_train one-hot float32 (6, 3) of classes 2, 0, 2, 1, 2, 0.
# Pixel (i, y, x, c) is ((i * 7 + y * 8 + x) * 3 + c) % 256, divided by 255 for the float dataset.
import os, sys
import numpy as np
import tensorflow as tf

root = sys.argv[1]
n = 10
i, y, x, c = np.indices((n, 8, 8, 3))
pixels = ((i * 7 + y * 8 + x) * 3 + c) % 256
images = (pixels / 255).astype(np.float32)
labels = (np.arange(n) % 3).astype(np.int64)
tf.data.Dataset.from_tensor_slices((images, labels)).batch(4).save(os.path.join(root, "saved_float"))
tf.data.Dataset.from_tensor_slices((pixels.astype(np.uint8), labels % 2)).save(os.path.join(root, "saved_uint8"))
np.savez(os.path.join(root, "values.npz"), x=np.arange(60, dtype=np.float64).reshape(6, 10) / 4)
np.savez(os.path.join(root, "onehot.npz"), x_train=np.zeros((6, 28, 28), np.uint8),
         y_train=np.eye(3, dtype=np.float32)[[2, 0, 2, 1, 2, 0]])

# tfrecords/  train-0000{0,1}-of-00002: tf.train.Examples with tfds keys, image = tf.io.encode_png of
#             the uint8 pixels of sample i (i = 0..9 in record order, 5 a shard), label = i % 3; then
#             record 1 of shard 1 (sample 6) gets a flipped data byte: a bad CRC.
os.makedirs(os.path.join(root, "tfrecords"))
for shard in range(2):
    path = os.path.join(root, "tfrecords", "train-%05d-of-00002" % shard)
    with tf.io.TFRecordWriter(path) as writer:
        for k in range(5 * shard, 5 * shard + 5):
            png = tf.io.encode_png(pixels[k].astype(np.uint8)).numpy()
            feature = {
                "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[png])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[k % 3])),
            }
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
path = os.path.join(root, "tfrecords", "train-00001-of-00002")
data = bytearray(open(path, "rb").read())
first_len = int.from_bytes(data[:8], "little")
data[12 + first_len + 4 + 12 + 40] ^= 0xFF  # inside record 1's data
open(path, "wb").write(bytes(data))
