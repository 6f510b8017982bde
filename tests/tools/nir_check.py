#!/usr/bin/env python3
"""An independent reader of Firstspike's NIR files (docs/FORMATS.md, "NIR"), with h5py and numpy only.

  nir_check.py graph NET.nir SPIKES.json IMAGES.gz COUNT
      Checks every group, dataset name, dtype and shape of the network file against NIR's HDF5
      layout, rebuilds the network from it, computes the spike times of the first COUNT images
      of the IDX file with the closed form (docs/MODEL.md, section 2) and compares them with the
      app's (`firstspike-cli export --what spikes --format json`) to 1e-6.
  nir_check.py events EVENTS.nir SPIKES.json
      Checks NIR event data (NIRGraphData / NIRNodeData / EventData) and compares its events
      with the app's spike times.
  nir_check.py make-bad FOLDER NET.nir
      Writes NIR files Firstspike must refuse (a CubaLIF with leak, a Conv2d, a missing edge,
      wrong shapes, a NaN weight, a leaky LI) next to a valid copy, for the C++ test.

Prints one line per failure and exits 1 on any; exit 0 prints "ok ...".
"""
import gzip
import json
import math
import shutil
import struct
import sys

import h5py
import numpy as np

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def is_vlen_utf8(ds):
    info = h5py.check_string_dtype(ds.dtype)
    return info is not None and info.encoding == "utf-8" and info.length is None


def read_str(ds):
    v = ds[()]
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def expect_dataset(group, key, dtype_kind, shape, where):
    """dtype_kind: 'str', 'f8', 'i8'; shape: a tuple (None = any length)."""
    if key not in group or not isinstance(group[key], h5py.Dataset):
        fail(f"{where}: dataset '{key}' is missing")
        return None
    ds = group[key]
    if dtype_kind == "str":
        if not is_vlen_utf8(ds):
            fail(f"{where}/{key}: not a variable-length UTF-8 string (dtype {ds.dtype})")
    elif ds.dtype != np.dtype(dtype_kind):
        fail(f"{where}/{key}: dtype {ds.dtype}, expected {np.dtype(dtype_kind)}")
    if shape is not None:
        if len(ds.shape) != len(shape) or any(s is not None and s != d for s, d in zip(shape, ds.shape)):
            fail(f"{where}/{key}: shape {ds.shape}, expected {shape}")
    return ds


NODE_KEYS = {
    "Input": {"type", "shape", "input_type"},
    "Output": {"type", "shape", "output_type"},
    "Affine": {"type", "weight", "bias"},
    "Linear": {"type", "weight"},
    "LI": {"type", "tau", "r", "v_leak", "input_type", "output_type"},
    "IF": {"type", "r", "v_threshold", "v_reset", "input_type", "output_type"},
}

META = {
    "generator": "str", "format": "str", "format_version": "i8", "layers": "str", "time_unit": "str",
    "spikes_per_neuron": "i8", "neuron_model": "str", "spike_time_code": "str", "input_encoding": "str",
    "input_encoding_formula": "str", "latency_scale": "f8", "binarize_threshold": "f8", "binary_late_time": "f8",
    "horizon": "f8", "horizon_meaning": "str", "threshold": "f8", "bias": "i8", "bias_semantics": "str",
    "decoding": "str",
}


def check_graph_file(path):
    """Returns (weights [out x in], biases, threshold, metadata dict) after checking the layout."""
    f = h5py.File(path, "r")
    expect_dataset(f, "version", "str", (), "/")
    if set(f.keys()) != {"version", "node"}:
        fail(f"/: entries {sorted(f.keys())}, expected ['node', 'version']")
    g = f["node"]
    expect_dataset(g, "type", "str", (), "/node")
    if read_str(g["type"]) != "NIRGraph":
        fail("/node/type is not NIRGraph")
    edges_ds = expect_dataset(g, "edges", "str", (None, 2), "/node")
    nodes = g["nodes"]
    types = {}
    for name, node in nodes.items():
        where = f"/node/nodes/{name}"
        if not isinstance(node, h5py.Group):
            fail(f"{where}: not a group")
            continue
        expect_dataset(node, "type", "str", (), where)
        t = read_str(node["type"])
        types[name] = t
        if t not in NODE_KEYS:
            fail(f"{where}: unexpected node type {t}")
            continue
        if set(node.keys()) != NODE_KEYS[t]:
            fail(f"{where}: entries {sorted(node.keys())}, expected {sorted(NODE_KEYS[t])}")
    edges = [(a.decode(), b.decode()) for a, b in edges_ds[()]]
    for a, b in edges:
        if a not in types or b not in types:
            fail(f"edge {a} -> {b} names a missing node")
    nxt = dict(edges)
    if len(nxt) != len(edges):
        fail("a node has two outgoing edges")
    inputs = [n for n, t in types.items() if t == "Input"]
    if len(inputs) != 1:
        fail(f"{len(inputs)} Input nodes")
        return None
    chain = [inputs[0]]
    while chain[-1] in nxt and len(chain) <= len(types):
        chain.append(nxt[chain[-1]])
    if len(chain) != len(types) or types[chain[-1]] != "Output":
        fail(f"the edges do not chain every node from Input to Output: {chain}")
        return None
    n0 = nodes[chain[0]]
    expect_dataset(n0, "shape", "i8", (1,), "input")
    size = int(n0["shape"][0])
    expect_dataset(n0["input_type"], "input", "i8", (1,), "input/input_type")
    weights, biases, thresholds = [], [], []
    inner = chain[1:-1]
    if len(inner) % 3 != 0:
        fail("the chain is not Affine -> LI -> IF per layer")
        return None
    for k in range(0, len(inner), 3):
        a, li, fi = (nodes[n] for n in inner[k:k + 3])
        ta, tl, tf = (types[n] for n in inner[k:k + 3])
        if (ta not in ("Affine", "Linear")) or tl != "LI" or tf != "IF":
            fail(f"layer {k // 3 + 1}: {ta} -> {tl} -> {tf}, expected Affine -> LI -> IF")
            return None
        w = expect_dataset(a, "weight", "f8", (None, size), inner[k])[()]
        out = w.shape[0]
        b = expect_dataset(a, "bias", "f8", (out,), inner[k])[()] if ta == "Affine" else None
        for key, value in (("tau", 1.0), ("r", 1.0), ("v_leak", 0.0)):
            v = expect_dataset(li, key, "f8", (out,), inner[k + 1])[()]
            if not np.all(v == value):
                fail(f"{inner[k + 1]}/{key} is not {value} everywhere")
        for grp, key in ((li, "input_type"), (li, "output_type"), (fi, "input_type"), (fi, "output_type")):
            sub = "input" if key == "input_type" else "output"
            ds = expect_dataset(grp[key], sub, "i8", (1,), key)
            if ds is not None and int(ds[0]) != out:
                fail(f"{key}/{sub} = {ds[0]}, expected {out}")
        if not np.all(expect_dataset(fi, "r", "f8", (out,), inner[k + 2])[()] == 1.0):
            fail(f"{inner[k + 2]}/r is not 1")
        if not np.all(expect_dataset(fi, "v_reset", "f8", (out,), inner[k + 2])[()] == 0.0):
            fail(f"{inner[k + 2]}/v_reset is not 0")
        th = expect_dataset(fi, "v_threshold", "f8", (out,), inner[k + 2])[()]
        thresholds.extend(th.tolist())
        if not np.all(np.isfinite(w)):
            fail(f"{inner[k]}: non-finite weights")
        weights.append(w)
        biases.append(b)
        size = out
    nout = nodes[chain[-1]]
    expect_dataset(nout, "shape", "i8", (1,), "output")
    if int(nout["shape"][0]) != size:
        fail("output shape differs from the last layer")
    expect_dataset(nout["output_type"], "output", "i8", (1,), "output/output_type")
    for key, sub in (("input_type", "input"), ("output_type", "output")):
        expect_dataset(g[key], sub, "i8", (1,), f"/node/{key}")
    meta = {}
    if "metadata" not in g:
        fail("/node/metadata is missing")
    else:
        for key, kind in META.items():
            ds = expect_dataset(g["metadata"], key, kind, (), "/node/metadata")
            if ds is not None:
                meta[key] = read_str(ds) if kind == "str" else ds[()].item()
        if meta.get("format") != "firstspike-nir":
            fail("metadata/format is not firstspike-nir")
    if len(set(thresholds)) != 1:
        fail("IF thresholds differ")
    elif thresholds[0] != meta.get("threshold"):
        fail("IF threshold differs from metadata/threshold")
    return weights, biases, thresholds[0], meta


def layer_spikes(w_out_in, bias, in_z, theta, max_z):
    """Closed form of docs/MODEL.md section 2 for every neuron of one layer: returns z (inf = silent)."""
    z = list(in_z)
    rows = [w_out_in[:, i] for i in range(w_out_in.shape[1])]
    if bias is not None:
        z.append(1.0)  # the bias input spikes at t = 0
        rows.append(bias)
    z = np.array(z)
    W = np.array(rows)  # inputs x neurons
    keep = np.isfinite(z)
    z, W = z[keep], W[keep]
    order = np.argsort(z, kind="stable")
    z, W = z[order], W[order]
    # Tie groups: equal z arrive together.
    starts = np.flatnonzero(np.r_[True, z[1:] != z[:-1]])
    A = np.add.reduceat(W * z[:, None], starts, axis=0).cumsum(axis=0)
    B = np.add.reduceat(W, starts, axis=0).cumsum(axis=0)
    z_next = np.r_[z[starts[1:]], np.inf]
    out = np.full(W.shape[1], np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        cand = A / (B - theta)
        ok = (B > theta) & (cand <= z_next[:, None])
    for j in range(W.shape[1]):
        k = np.flatnonzero(ok[:, j])
        if k.size:
            zj = cand[k[0], j]
            out[j] = zj if zj <= max_z else np.inf
    return out


def read_idx_images(path, count):
    with gzip.open(path, "rb") as fh:
        magic, n, rows, cols = struct.unpack(">IIII", fh.read(16))
        assert magic == 0x803
        count = min(count, n)
        data = np.frombuffer(fh.read(count * rows * cols), dtype=np.uint8)
    return data.reshape(count, rows * cols)


def app_times(spikes_json):
    samples = json.load(open(spikes_json))
    return [[np.array([np.inf if t is None else t for t in layer]) for layer in s["layers"]] for s in samples]


def compare(name, mine_t, app_t, tol=1e-6):
    bad = 0
    for j, (a, b) in enumerate(zip(mine_t, app_t)):
        if math.isinf(a) != math.isinf(b) or (not math.isinf(a) and abs(a - b) > tol):
            bad += 1
            if bad <= 3:
                fail(f"{name} neuron {j}: numpy t = {a}, app t = {b}")
    return bad


def cmd_graph(net, spikes_json, images, count):
    res = check_graph_file(net)
    if res is None:
        return
    weights, biases, theta, meta = res
    if meta.get("input_encoding") != "latency":
        fail("this check expects the latency encoding")
        return
    s = meta["latency_scale"]
    max_z = math.exp(meta["horizon"])
    pixels = read_idx_images(images, count)
    app = app_times(spikes_json)
    if len(app) != len(pixels):
        fail(f"{len(app)} samples in the app's export, {len(pixels)} images")
    decided = 0
    for n, (px, ref) in enumerate(zip(pixels, app)):
        z = np.exp(s * (1.0 - px / 255.0))  # t = s (1 - x), x = pixel / 255
        compare(f"sample {n} input", np.log(z), ref[0])
        for l, (w, b) in enumerate(zip(weights, biases)):
            z = layer_spikes(w, b, z, theta, max_z)
            with np.errstate(divide="ignore"):
                compare(f"sample {n} layer {l + 1}", np.log(z), ref[l + 1])
        decided += np.isfinite(z).any()
    if not failures:
        print(f"ok: {net}: {len(weights)} layers, {len(pixels)} samples agree to 1e-6 ({decided} with an output spike)")


def cmd_events(events, spikes_json):
    f = h5py.File(events, "r")
    if f.attrs.get("__type__") != "NIRGraphData":
        fail("/ __type__ is not NIRGraphData")
    app = app_times(spikes_json)
    names = ["input"] + [f"if{k}" for k in range(1, len(app[0]))]
    if set(f["nodes"].keys()) != set(names):
        fail(f"nodes {sorted(f['nodes'].keys())}, expected {sorted(names)}")
        return
    for k, name in enumerate(names):
        node = f["nodes"][name]
        if node.attrs.get("__type__") != "NIRNodeData":
            fail(f"{name}: __type__ is not NIRNodeData")
        obs = node["observables"]["spikes"]
        if obs.attrs.get("__type__") != "EventData":
            fail(f"{name}/spikes: __type__ is not EventData")
        n_neurons = obs.attrs["n_neurons"]
        t_max = obs.attrs["t_max"]
        if not isinstance(n_neurons, (np.integer,)) or not isinstance(t_max, (np.floating,)):
            fail(f"{name}/spikes: n_neurons / t_max have types {type(n_neurons)} / {type(t_max)}")
        idx = expect_dataset(obs, "idx", "i8", (len(app), None), name)[()]
        time = expect_dataset(obs, "time", "f8", idx.shape, name)[()]
        for s in range(len(app)):
            ref = app[s][k]
            if len(ref) != n_neurons:
                fail(f"{name}: n_neurons {n_neurons}, the app has {len(ref)}")
                return
            mine = np.full(n_neurons, np.inf)
            valid = idx[s] >= 0
            if np.any(~np.isinf(time[s][~valid])):
                fail(f"{name} sample {s}: padding times are not inf")
            if np.any(np.diff(time[s][valid]) < 0):
                fail(f"{name} sample {s}: events are not in time order")
            mine[idx[s][valid]] = time[s][valid]
            compare(f"events {name} sample {s}", mine, ref, tol=0.0)
    if not failures:
        print(f"ok: {events}: {len(names)} nodes, {len(app)} samples")


def cmd_make_bad(folder, net):
    def variant(name, edit):
        path = f"{folder}/{name}.nir"
        shutil.copyfile(net, path)
        with h5py.File(path, "r+") as f:
            edit(f)

    def cuba(f):
        g = f["node/nodes/li1"]
        for key in list(g.keys()):
            del g[key]
        g.create_dataset("type", data="CubaLIF", dtype=h5py.string_dtype())
        n = f["node/nodes/if1/r"].shape[0]
        for key, v in (("tau_mem", 20.0), ("tau_syn", 1.0), ("r", 1.0), ("v_leak", 0.0), ("v_threshold", 1.0)):
            g.create_dataset(key, data=np.full(n, v))

    def conv(f):
        g = f["node/nodes"].create_group("conv")
        g.create_dataset("type", data="Conv2d", dtype=h5py.string_dtype())
        g.create_dataset("weight", data=np.zeros((1, 1, 3, 3)))

    def missing_edge(f):
        e = f["node/edges"][()]
        del f["node/edges"]
        f["node"].create_dataset("edges", data=e[:-1], dtype=h5py.string_dtype())

    def wrong_shape(f):
        w = f["node/nodes/affine2/weight"][()]
        del f["node/nodes/affine2/weight"]
        f["node/nodes/affine2"].create_dataset("weight", data=w[:, :-1])

    def nan_weight(f):
        f["node/nodes/affine1/weight"][0, 5] = np.nan

    def leaky(f):
        f["node/nodes/li2/tau"][...] = 5.0

    for name, edit in (("cubalif", cuba), ("conv2d", conv), ("missing-edge", missing_edge),
                       ("wrong-shape", wrong_shape), ("nan-weight", nan_weight), ("leaky-li", leaky)):
        variant(name, edit)
    print("ok: made the refused variants")


def main(argv):
    if len(argv) >= 2 and argv[1] == "graph" and len(argv) == 6:
        cmd_graph(argv[2], argv[3], argv[4], int(argv[5]))
    elif len(argv) == 4 and argv[1] == "events":
        cmd_events(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "make-bad":
        cmd_make_bad(argv[2], argv[3])
    else:
        print(__doc__)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
