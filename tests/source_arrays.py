# Fixtures for tests/source_arrays.rs, written by numpy into the folder sys.argv[1] in one run.
import gzip, json, os, struct, sys
import numpy as np

out = sys.argv[1]
def p(*parts):
    path = os.path.join(out, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path

# .npy of several dtypes and shapes, each with its expected C-order little-endian bytes beside it.
cases = {
    "u1": np.arange(5 * 4 * 3 * 2).reshape(5, 4, 3, 2).astype("|u1"),
    "i1": (-np.arange(6 * 2 * 2)).reshape(6, 2, 2).astype("|i1"),
    "b1": (np.arange(7 * 3) % 3 == 0).reshape(7, 3),
    "u2": (np.arange(7 * 3) * 3001).reshape(7, 3).astype("<u2"),
    "i2_be": (np.arange(7 * 3) * -1001).reshape(7, 3).astype(">i2"),
    "u4": (np.arange(4 * 5) * 200_000_007).reshape(4, 5).astype("<u4"),
    "i4": (np.arange(9) * -300_000).astype("<i4"),
    "u8": (np.arange(6) * 2**61).astype("<u8"),
    "i8_be": (np.arange(6) * -(2**40) + 5).astype(">i8"),
    "f2": (np.arange(8 * 2) / 7).reshape(8, 2).astype("<f2"),
    "f4": (np.arange(3 * 2 * 2 * 1) / 3 - 1).reshape(3, 2, 2, 1).astype("<f4"),
    "f8_be": (np.arange(5 * 2) * np.pi).reshape(5, 2).astype(">f8"),
}
for name, arr in cases.items():
    np.save(p("npy", name + ".npy"), arr)
    with open(p("npy", name + ".bin"), "wb") as f:
        f.write(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
v = np.arange(4 * 3 * 2, dtype=np.int16).reshape(4, 3, 2)
for version in [(2, 0), (3, 0)]:
    with open(p("npy", "v%d.npy" % version[0]), "wb") as f:
        np.lib.format.write_array(f, v, version=version)
np.save(p("npy", "fortran.npy"), np.asfortranarray(np.arange(6, dtype=np.uint8).reshape(2, 3)))
np.save(p("npy", "object.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
good = open(p("npy", "u1.npy"), "rb").read()
open(p("npy", "truncated.npy"), "wb").write(good[:-7])

# .npz: stored and deflated, plus one without an image array.
x_train = (np.arange(10 * 4 * 4 * 3) % 251).reshape(10, 4, 4, 3).astype(np.uint8)
y_train = np.arange(10, dtype=np.int64) % 3
x_test = np.full((3, 4, 4, 3), 7, np.uint8)
y_test = np.array([2, 1, 0], np.int64)
np.savez(p("npz", "stored.npz"), x_test=x_test, y_test=y_test, x_train=x_train, y_train=y_train)
np.savez_compressed(p("npz", "deflated.npz"), x_test=x_test, y_test=y_test, x_train=x_train, y_train=y_train)
np.savez(p("npz", "flat.npz"), weights=np.zeros(5, np.float32), bias=np.ones((2, 3), np.float64))
np.savez(p("npz", "unnamed.npz"), np.arange(4, dtype=np.int32), (np.arange(4 * 2 * 2) % 256).reshape(4, 2, 2).astype(np.uint8))

# IDX: gzipped train pair, raw t10k pair, a float file, a truncated file.
def idx(path, code, arr, fmt, compress):
    head = bytes([0, 0, code, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    body = arr.astype(arr.dtype.newbyteorder(">")).tobytes() if arr.dtype.itemsize > 1 else arr.tobytes()
    data = head + body
    (gzip.open if compress else open)(path, "wb").write(data)
    return data
imgs = (np.arange(5 * 4 * 3) * 11 % 256).reshape(5, 4, 3).astype(np.uint8)
labs = np.array([3, 1, 4, 1, 5], np.uint8)
idx(p("mnist", "train-images-idx3-ubyte.gz"), 0x08, imgs, "B", True)
idx(p("mnist", "train-labels-idx1-ubyte.gz"), 0x08, labs, "B", True)
idx(p("mnist", "t10k-images-idx3-ubyte"), 0x08, imgs[:2], "B", False)
idx(p("mnist", "t10k-labels-idx1-ubyte"), 0x08, labs[:2], "B", False)
idx(p("mnist", "floats-idx2-double"), 0x0E, (np.arange(3 * 2) / 4).reshape(3, 2), "d", False)
idx(p("mnist", "shorts-idx2.gz"), 0x0B, (np.arange(3 * 2) * -300).reshape(3, 2).astype(np.int16), "h", True)
data = idx(p("mnist", "cut-images-idx3-ubyte"), 0x08, imgs, "B", False)
open(p("mnist", "cut-images-idx3-ubyte"), "wb").write(data[:-5])
gzip.open(p("mnist", "cut-images-idx3-ubyte.gz"), "wb").write(data[:-5])
open(p("mnist", "bad-magic-idx3-ubyte"), "wb").write(b"\x01\x02\x08\x03" + data[4:])

# CIFAR-10: 3 records, record i has label 9 - i and channel c, pixel k = (c * 100 + k + 7 * i) % 256.
def planes(i):
    return bytes((c * 100 + k + 7 * i) % 256 for c in range(3) for k in range(1024))
with open(p("cifar", "data_batch_1.bin"), "wb") as f:
    for i in range(3):
        f.write(bytes([9 - i]) + planes(i))
with open(p("cifar100", "train.bin"), "wb") as f:
    for i in range(2):
        f.write(bytes([10 + i, 50 + i]) + planes(i))
open(p("cifar", "batches.meta.txt"), "w").write("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n")
open(p("cifar", "test_batch.bin"), "wb").write(bytes([1]) + planes(0)[:100])

# A batchscope export folder.
np.save(p("export", "images.npy"), (np.arange(4 * 2 * 2 * 3) % 256).reshape(4, 2, 2, 3).astype(np.uint8))
np.save(p("export", "labels.npy"), np.array([0, 1, 1, 0], np.int32))
json.dump(["cat", "dog"], open(p("export", "class_names.json"), "w"))
open(p("export", "manifest.csv"), "w").write(
    "index,path,label,class_name\n0,cat/a.png,0,cat\n1,dog/b.png,1,dog\n2,\"dog/c,\nd.png\",1,dog\n3,cat/e.png,0,cat\n")
for name, manifest_rows in [("export_short_manifest", 3), ("export_short_labels", 4)]:
    np.save(p(name, "images.npy"), np.zeros((4, 2, 2, 3), np.uint8))
    np.save(p(name, "labels.npy"), np.zeros(4 if manifest_rows == 3 else 3, np.int32))
    json.dump(["cat", "dog"], open(p(name, "class_names.json"), "w"))
    open(p(name, "manifest.csv"), "w").write("index,path,label,class_name\n" + "".join(
        "%d,cat/%d.png,0,cat\n" % (i, i) for i in range(manifest_rows)))
open(p("npz", "garbage.npz"), "wb").write(b"not a zip archive at all")

# A single .npy of any ndim is the images column (not refused for not being 3-D/4-D).
np.save(p("npy_any", "flat.npy"), (np.arange(10 * 784) % 253).reshape(10, 784).astype(np.uint8))
np.save(p("npy_any", "vector.npy"), np.arange(10, dtype=np.int32) * -7)
np.save(p("npy_any", "five_d.npy"), (np.arange(32) / 4).reshape(2, 2, 2, 2, 2).astype(np.float32))
# A zero-size row dimension, alone and as an .npz member.
np.save(p("zero_row", "zero_row.npy"), np.zeros((5, 0, 3), np.uint8))
np.savez(p("zero_row", "zero_row.npz"), x=np.zeros((5, 0, 3), np.uint8), y=np.arange(5))
# Conventionally named labels whose row count differs from the images'.
np.savez(p("npz", "short_y.npz"), x=np.zeros((30, 2, 2), np.uint8), y=np.arange(20))
np.savez(p("npz", "short_labels.npz"), data=np.zeros((30, 2, 2), np.uint8), labels=np.arange(20))

# Exports of saved datasets: a dict dataset (image, label, meta_w) and a nested one (component_i).
def export_folder(name, arrays, class_names):
    for key, arr in arrays.items():
        np.save(p(name, key + ".npy"), arr)
    json.dump(class_names, open(p(name, "class_names.json"), "w"))
    rows = len(next(iter(arrays.values())))
    open(p(name, "manifest.csv"), "w").write("index,path,label,class_name\n" + "".join(
        "%d,saved#%d,,\n" % (i, i) for i in range(rows)))
export_folder("export_dict", {
    "image": (np.arange(4 * 2 * 2 * 3) * 5 % 256).reshape(4, 2, 2, 3).astype(np.uint8),
    "label": np.array([2, 0, 1, 2], np.int64),
    "meta_w": (np.arange(4 * 2) / 8).reshape(4, 2).astype(np.float32),
}, ["a", "b", "c"])
export_folder("export_nested", {
    "component_0": (np.arange(4 * 3 * 3) % 256).reshape(4, 3, 3).astype(np.uint8),
    "component_1": np.array([7, 8, 9, 10], ">i8"),
    "component_2": np.arange(4, dtype=np.float64) - 0.5,
}, [])
export_folder("export_dict_short_meta", {
    "image": np.zeros((4, 2, 2, 3), np.uint8),
    "label": np.zeros(4, np.int64),
    "meta_w": np.zeros((3, 2), np.float32),
}, ["a"])

# CIFAR-10 batches: 2 is truncated (2 whole records and 1000 bytes), 3 and 5 are missing.
for k, records in [(1, 3), (2, 2), (4, 1)]:
    with open(p("cifar_cut", "data_batch_%d.bin" % k), "wb") as f:
        for i in range(records):
            f.write(bytes([(k + i) % 10]) + planes(10 * k + i))
        if k == 2:
            f.write(bytes([9]) + planes(99)[:999])

# What an export of each source must hold, as numpy sees the source (stored dtypes and shapes).
np.save(p("expected", "npz_images.npy"), x_train)
np.save(p("expected", "npz_labels.npy"), y_train)
np.save(p("expected", "mnist_images.npy"), imgs)
np.save(p("expected", "mnist_labels.npy"), labs)
raw = np.frombuffer(open(p("cifar", "data_batch_1.bin"), "rb").read(), np.uint8).reshape(3, 3073)
np.save(p("expected", "cifar_images.npy"), raw[:, 1:].reshape(3, 3, 32, 32).transpose(0, 2, 3, 1))
np.save(p("expected", "cifar_labels.npy"), raw[:, 0])
print("ok")
