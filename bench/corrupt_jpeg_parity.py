"""Corrupt-JPEG parity of `--jpeg exact` with TensorFlow (issue 23, item 6).

Writes N JPEGs with `tf.io.encode_jpeg` (128x96, every other one progressive), changes one random byte
of each file's first scan, decodes each with `tf.io.decode_image` and exports the folder with
batchscope, then counts: files both decode, equal, differing, and how many of each batchscope listed in
warnings.csv. Usage: python3 bench/corrupt_jpeg_parity.py SEED N --jpeg exact  (BS=path/to/batchscope)
"""
import os, sys, csv, shutil, subprocess, tempfile, numpy as np
os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"
import tensorflow as tf
work=tempfile.mkdtemp(); root=work+"/data"; out=work+"/out"
shutil.rmtree(root, ignore_errors=True); shutil.rmtree(out, ignore_errors=True)
os.makedirs(root+"/a")
rng=np.random.default_rng(int(sys.argv[1]) if len(sys.argv)>1 else 0)
N=int(sys.argv[2]) if len(sys.argv)>2 else 200
yy,xx=np.mgrid[0:96,0:128]
for i in range(N):
    img=np.stack([(xx*2+i*3)%256,(yy*2+i*5)%256,((xx+yy)*(1+i%4))%256],-1).astype(np.uint8)
    img=(img.astype(int)+rng.integers(0,40,img.shape)).clip(0,255).astype(np.uint8)
    prog = i%2==1
    b=bytearray(tf.io.encode_jpeg(img, quality=90, progressive=prog, chroma_downsampling=True).numpy())
    # flip one byte in the entropy-coded data of the first scan
    sos=b.index(b'\xff\xda'); L=b[sos+2]*256+b[sos+3]; start=sos+2+L
    pos=int(rng.integers(start+1, len(b)-4))
    b[pos]^= int(rng.integers(1,256))
    open(f"{root}/a/{i:03d}.jpg","wb").write(bytes(b))
tfres={}
for i in range(N):
    p=f"{root}/a/{i:03d}.jpg"
    try: tfres[f"a/{i:03d}.jpg"]=tf.io.decode_image(tf.io.read_file(p),channels=3,expand_animations=False).numpy()
    except Exception as e: tfres[f"a/{i:03d}.jpg"]=None
bs=os.environ.get("BS","target/release/batchscope")
r=subprocess.run([bs,"export",root,"--out",out,"--labels","none"]+sys.argv[3:],capture_output=True,text=True)
print(r.stderr.strip().splitlines()[-12:] if r.returncode else r.stderr.strip().splitlines()[-1])
man=[row["path"] for row in csv.DictReader(open(out+"/manifest.csv"))]
imgs=np.load(out+"/images.npy")
warned=set()
if os.path.exists(out+"/warnings.csv"):
    warned={row["path"] for row in csv.DictReader(open(out+"/warnings.csv"))}
skipped={row["path"] for row in csv.DictReader(open(out+"/skipped.csv"))}
both=eq=diff=diff_warned=eq_warned=tf_only=ours_only=0; worst=0
for p,t in tfres.items():
    if p in man:
        o=imgs[man.index(p)]
        if t is None: ours_only+=1; continue
        both+=1
        if np.array_equal(o,t):
            eq+=1; eq_warned+= p in warned
        else:
            diff+=1; diff_warned+= p in warned; worst=max(worst,int(np.abs(o.astype(int)-t.astype(int)).max()))
    elif t is not None: tf_only+=1
print(f"files {N}: both decode {both}, equal {eq} (of which warned {eq_warned}), differ {diff} (of which warned {diff_warned}, max diff {worst}); TF only {tf_only}; ours only {ours_only}; warned total {len(warned)}; skipped {len(skipped)}")
