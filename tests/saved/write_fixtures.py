# Writes the fixtures of tests/source_saved.rs: datasets saved by tf.data.Dataset.save into
# sys.argv[1], each with the arrays numpy makes of it (np.concatenate over batches for batched
# datasets, np.stack for unbatched ones) as expected/<component>.npy; prints an index as JSON.
import json, os, shutil, sys
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import snapshot_pb2

root = sys.argv[1]
n = lambda count, *shape: np.arange(count * int(np.prod(shape, dtype=int))).reshape((count,) + shape)
cases = {
    # name: (dataset, batched)
    "single": (tf.data.Dataset.from_tensor_slices((n(10, 4, 3, 3) * 7 % 256).astype(np.uint8)).batch(4), True),
    "tuple_drop_remainder": (tf.data.Dataset.from_tensor_slices(
        ((n(10, 3) / 8 - 1).astype(np.float32), n(10) * 1_000_000_007)).batch(4, drop_remainder=True), True),
    "dict": (tf.data.Dataset.from_tensor_slices({
        "label": (n(7) - 3).astype(np.int32),
        "image": (n(7, 2, 2, 1) * 5 % 256).astype(np.uint8),
        "weight": (n(7) / 3).astype(np.float16)}).batch(3), True),
    "unbatched": (tf.data.Dataset.from_tensor_slices(
        ((n(6, 2, 3) * 1000 - 9000).astype(np.int16), n(6) % 3 == 0)), False),
    "nested": (tf.data.Dataset.from_tensor_slices(
        (n(5, 2).astype(np.uint16) * 4099, {"k": (n(5) - 2).astype(np.int8), "d": n(5, 3) / 7})).batch(2), True),
}
index = {}
for name, (ds, batched) in cases.items():
    rows = [tf.nest.flatten(e) for e in ds.as_numpy_iterator()]
    join = np.concatenate if batched else np.stack
    for compression in ["NONE", "GZIP", "SNAPPY"]:
        d = os.path.join(root, f"{name}-{compression}")
        ds.save(os.path.join(d, "saved"), compression=None if compression == "NONE" else compression)
        os.makedirs(os.path.join(d, "expected"))
        for i in range(len(rows[0])):
            np.save(os.path.join(d, "expected", f"{i}.npy"), join([r[i] for r in rows]))
        index[f"{name}-{compression}"] = {"batched": batched, "components": len(rows[0])}

# Several snapshot files in one shard (one per checkpoint), and several shards (a shard_func):
# batchscope reads shards in index order, each shard's files in index order.
pairs = tf.data.Dataset.range(20).map(lambda x: (x, x * 2))
for name, save_args, order in [
    ("checkpointed", {"checkpoint_args": {"directory": os.path.join(root, "ckpts"),
                                          "checkpoint_interval": 5, "max_to_keep": 2,
                                          "step_counter": tf.Variable(0)}}, list(range(20))),
    ("sharded", {"shard_func": lambda x, y: x % 3}, [x for k in range(3) for x in range(20) if x % 3 == k]),
]:
    d = os.path.join(root, name)
    pairs.save(os.path.join(d, "saved"), **save_args)
    os.makedirs(os.path.join(d, "expected"))
    np.save(os.path.join(d, "expected", "0.npy"), np.array(order, dtype=np.int64))
    np.save(os.path.join(d, "expected", "1.npy"), np.array(order, dtype=np.int64) * 2)

tf.data.Dataset.from_tensor_slices((tf.zeros([3]), tf.constant(["a", "b", "c"]))).save(os.path.join(root, "strings"))
tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[[1]], [[2, 3]]])).save(os.path.join(root, "ragged"))
shutil.copytree(os.path.join(root, "single-NONE", "saved"), os.path.join(root, "version3"))
meta = snapshot_pb2.SnapshotMetadataRecord()
path = os.path.join(root, "version3", "snapshot.metadata")
meta.ParseFromString(open(path, "rb").read())
meta.version = 3
open(path, "wb").write(meta.SerializeToString())
# Elements whose shapes differ (None dims): np.stack cannot join them, so neither can batchscope.
def varying():
    for i in range(3):
        yield np.full((4 + i, 5, 3), i, np.uint8)
tf.data.Dataset.from_generator(varying, output_signature=tf.TensorSpec((None, 5, 3), tf.uint8)).save(
    os.path.join(root, "varying"))

# A flipped data byte in element 2's first record of an unbatched dataset (two records an element):
# the record's CRC fails, its neighbours are intact.
shutil.copytree(os.path.join(root, "unbatched-NONE"), os.path.join(root, "crc_middle"))
snap = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(root, "crc_middle", "saved"))
        for f in fs if f.endswith(".snapshot")][0]
data = bytearray(open(snap, "rb").read())
at = 0
for record in range(4):
    at += 12 + int.from_bytes(data[at:at + 8], "little") + 4
data[at + 12 + 5] ^= 0xFF
open(snap, "wb").write(bytes(data))
print(json.dumps(index))
