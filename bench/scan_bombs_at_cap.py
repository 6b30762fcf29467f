import os, numpy as np
# Writes bombs/a/{0..3}.jpg: a 4096x4096 progressive JPEG (tf.io.encode_jpeg) whose last scan repeats up
# to 500 scans, the most --jpeg exact decodes (issue 23, item 5: cancellation inside the decoder).
os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"
import tensorflow as tf
os.makedirs("bombs/a", exist_ok=True)
yy,xx=np.mgrid[0:4096,0:4096]
img=np.stack([(xx//16)%256,(yy//16)%256,((xx+yy)//32)%256],-1).astype(np.uint8)
b=bytes(tf.io.encode_jpeg(img, quality=90, progressive=True).numpy())
# repeat the last scan up to 500 scans
scans=b.count(b'\xff\xda')
last=b.rindex(b'\xff\xda'); eoi=len(b)-2
scan=b[last:eoi]
bomb=b[:eoi]+scan*(500-scans)+b'\xff\xd9'
for i in range(4):
    open(f"bombs/a/{i}.jpg","wb").write(bomb)
print(len(bomb), scans)
