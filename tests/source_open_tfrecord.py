"""Writes the TFRecord fixtures of source_open_tfrecord.rs with TensorFlow itself, and what TensorFlow
decodes from them.

Usage: python source_open_tfrecord.py OUT
- tfds/train-0000{0,1}-of-00002: keys image/label, 4 PNGs and 2 JPEGs (16x24 RGB), 3 records a shard.
- slim.tfrecord: GZIP, TF-slim keys image/encoded, image/class/label, int64 labels far past int32.
- broken/train-0000{0,2}-of-00003: shard 1 deleted, record 1 of shard 0 with a flipped data byte.
- garbage.tfrecord: record 1's image bytes are not an image, record 3 has no image feature.
Expected arrays (numpy .npy): <case>_images.npy (tf.io.decode_image, stacked), <case>_labels.npy
(int64), tfds_<k>.img and slim_<k>.png (the encoded bytes), tfds_is_png.npy, and tfds_resized.npy
(tf.image.resize to 8x8, bilinear, antialias=False, float32).
"""
import os
import struct
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

out = sys.argv[1]
rng = np.random.RandomState(11)
H, W = 16, 24  # whole 8x8 JPEG blocks: decoders differ most at partial ones


def b(v):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[v]))


def i(v):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[v]))


def ex(d):
    return tf.train.Example(features=tf.train.Features(feature=d)).SerializeToString()


def write(path, records, compression=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    options = tf.io.TFRecordOptions(compression_type=compression) if compression else None
    with tf.io.TFRecordWriter(path, options) as w:
        for r in records:
            w.write(r)


def smooth(seed):
    # Smooth gradients: JPEG-friendly, so the two decoders stay close.
    y, x = np.mgrid[0:H, 0:W]
    im = np.stack([x * 9 + seed * 7, y * 12 + seed * 3, (x + y) * 5 + seed * 11], -1)
    return (im % 256).astype(np.uint8)


def expected(name, encoded, labels):
    images = np.stack([tf.io.decode_image(e, channels=3).numpy() for e in encoded])
    np.save(os.path.join(out, name + "_images.npy"), images)
    np.save(os.path.join(out, name + "_labels.npy"), np.array(labels, dtype=np.int64))
    return images


# (a) tfds keys, two shards, PNGs and JPEGs.
images = [rng.randint(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(4)] + [smooth(1), smooth(2)]
encoded = [tf.io.encode_png(im).numpy() for im in images[:4]]
encoded += [tf.io.encode_jpeg(im, quality=95, chroma_downsampling=False).numpy() for im in images[4:]]
order = [0, 4, 1, 2, 5, 3]  # JPEGs in both shards
encoded = [encoded[k] for k in order]
labels = [3, 1, 4, 1, 5, 9]
records = [ex({"image": b(e), "label": i(l), "id": b(b"img%d" % k)}) for k, (e, l) in enumerate(zip(encoded, labels))]
write(os.path.join(out, "tfds/train-00000-of-00002"), records[:3])
write(os.path.join(out, "tfds/train-00001-of-00002"), records[3:])
decoded = expected("tfds", encoded, labels)
np.save(os.path.join(out, "tfds_is_png.npy"), np.array([e[:4] == b"\x89PNG" for e in encoded]))
for k, e in enumerate(encoded):
    open(os.path.join(out, "tfds_%d.img" % k), "wb").write(e)
resized = tf.image.resize(decoded, (8, 8), method="bilinear", antialias=False).numpy()
np.save(os.path.join(out, "tfds_resized.npy"), resized.astype(np.float32))

# (b) TF-slim keys, GZIP, int64 labels past int32 and negative.
pngs = [tf.io.encode_png(rng.randint(0, 256, (H, W, 3), dtype=np.uint8)).numpy() for _ in range(5)]
labels = [5_000_000_000, -2, 7, -2, 5_000_000_000]
records = [
    ex({"image/encoded": b(p), "image/format": b(b"png"), "image/class/label": i(l),
        "image/height": i(H), "image/width": i(W)})
    for p, l in zip(pngs, labels)
]
write(os.path.join(out, "slim.tfrecord"), records, "GZIP")
expected("slim", pngs, labels)
for k, p in enumerate(pngs):
    open(os.path.join(out, "slim_%d.png" % k), "wb").write(p)

# (c) a flipped byte in record 1 of shard 0, shard 1 deleted.
pngs = [tf.io.encode_png(rng.randint(0, 256, (H, W, 3), dtype=np.uint8)).numpy() for _ in range(9)]
labels = [0, 1, 2, 0, 1, 2, 0, 1, 2]
records = [ex({"image": b(p), "label": i(l)}) for p, l in zip(pngs, labels)]
for s in range(3):
    write(os.path.join(out, "broken/train-%05d-of-00003" % s), records[3 * s:3 * s + 3])
os.remove(os.path.join(out, "broken/train-00001-of-00003"))
shard0 = os.path.join(out, "broken/train-00000-of-00003")
data = bytearray(open(shard0, "rb").read())
at = 12 + struct.unpack("<Q", data[:8])[0] + 4  # record 1's header
data[at + 12 + 30] ^= 0x01  # a byte of record 1's data
open(shard0, "wb").write(bytes(data))
kept = [0, 2, 6, 7, 8]
expected("broken", [pngs[k] for k in kept], [labels[k] for k in kept])

# (d) record 1's image is garbage, record 3 has no image feature.
pngs = [tf.io.encode_png(rng.randint(0, 256, (H, W, 3), dtype=np.uint8)).numpy() for _ in range(4)]
records = [ex({"image": b(p), "label": i(k)}) for k, p in enumerate(pngs)]
records[1] = ex({"image": b(b"these bytes are no image at all"), "label": i(1)})
records[3] = ex({"label": i(3), "caption": b(b"no picture")})
write(os.path.join(out, "garbage.tfrecord"), records)
expected("garbage", [pngs[0], pngs[2]], [0, 2])
