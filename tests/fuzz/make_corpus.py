"""Seeds from a real repository (make_corpus.sh made it): python3 make_corpus.py REPO B1 B2 OUT."""
import glob
import hashlib
import json
import os
import struct
import subprocess
import sys

repo, b1, b2, out = sys.argv[1:5]


def seed(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def read(path):
    with open(path, "rb") as f:
        return f.read()


def u32(n):
    return struct.pack("<I", n)


def unzstd(data):
    return subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout


meta = os.path.join(repo, "metadata")
for path in sorted(glob.glob(os.path.join(meta, "*.json"))):
    name = os.path.basename(path)
    data = read(path)
    seed("json", name, data)
    seed("canonical_json", name, json.dumps(json.loads(data)["signed"], sort_keys=True, separators=(",", ":")))
    for role in ("root", "timestamp", "snapshot", "targets"):
        if name.endswith(role + ".json"):
            seed(role + "_metadata", name, data)

# A delegating targets role: the real targets.json with delegations signed by its own key.
targets = json.loads(read(os.path.join(meta, "3.targets.json")))
root = json.loads(read(os.path.join(meta, "1.root.json")))["signed"]
key_id = root["roles"]["targets"]["keyids"][0]
keys = {key_id: root["keys"][key_id]}
roles = {"roles": [
    {"name": "linux", "keyids": [key_id], "threshold": 1, "terminating": True, "paths": ["demo/*/linux-*/*"]},
    {"name": "bins", "keyids": [key_id], "threshold": 1, "terminating": False,
     "path_hash_prefixes": ["0", "8f", "a1b2"]}]}
succinct = {"succinct_roles": {"keyids": [key_id], "threshold": 1, "bit_length": 4, "name_prefix": "bin"}}
for name, delegation in (("roles.json", roles), ("succinct.json", succinct)):
    doc = json.loads(json.dumps(targets))
    doc["signed"]["delegations"] = dict(keys=keys, **delegation)
    seed("delegated_targets", name, json.dumps(doc, indent=1))

for version, folder in (("1.0.0", b1), ("1.1.0", b2)):
    tdir = os.path.join(repo, "targets", "demo", version, "linux-x86_64")
    files = read(glob.glob(os.path.join(tdir, "*.files.json"))[0])
    package = read(glob.glob(os.path.join(tdir, "*.package.zip"))[0])
    bundle = read(glob.glob(os.path.join(tdir, "*.delta.zst"))[0])
    seed("json", version + ".files.json", files)
    seed("manifest", version + ".files.json", files)
    seed("zip_directory", version + ".zip", package)
    seed("package", version, u32(len(files)) + files + package)
    seed("delta_bundle", version + ".delta.zst", bundle)
    content = unzstd(bundle)
    seed("delta_index", version + ".index.json", content[content.index(b"\n") + 1:])
    # An offline bundle: a program, the package as payload, bundle.json, the trailer (admin/offline_bundle.cpp).
    program = b"#!/bin/sh\necho upkeep\n"
    facts = {"format": 1, "app_id": "demo", "version": version, "platform": "linux-x86_64", "channel": "stable",
             "update_url": "https://updates.example/demo/", "created": 1764000000, "payload": json.loads(files)}
    facts_text = json.dumps(facts, sort_keys=True, separators=(",", ":")).encode()
    trailer = b"UPKBND01" + struct.pack("<QQQQ", len(program), len(package), len(program) + len(package),
                                         len(facts_text))
    seed("offline_bundle", version + ".bundle", program + package + facts_text + trailer)
    for f in glob.glob(os.path.join(folder, "**", "*.gz"), recursive=True):
        seed("gzip_member", version + ".gz", read(f))
    for f in glob.glob(os.path.join(folder, "**", "*.mo"), recursive=True):
        seed("mo_catalog", version + ".mo", read(f))
    for f in glob.glob(os.path.join(folder, "**", "*.bc"), recursive=True):
        seed("bitcode", version + ".bc", read(f))

for path in sorted(glob.glob(os.path.join(repo, "targets", "demo", "blobs", "*.zst")))[:6]:
    blob = read(path)
    seed("zstd_blob", os.path.basename(path), u32(len(unzstd(blob))) + blob)

# config.json as `upkeep install` writes it, and variants a crash or a hand leaves.
config = {"app_id": "demo", "channel": "stable", "check_interval_minutes": 360, "check_on_start": False,
          "check_on_start_deadline_seconds": 5, "delta_updates": True, "handover_ready_timeout_seconds": 60,
          "headless": False, "main_program": "mainapp", "max_update_failures": 3, "platform": "linux-x86_64",
          "repository": "https://updates.example/demo/", "trial_timeout_seconds": 30}
seed("config", "installed.json", json.dumps(config, indent=2, sort_keys=True) + "\n")
seed("config", "minimal.json", '{"app_id": "demo", "repository": "file:///srv/repo/"}')
seed("config", "truncated.json", json.dumps(config, indent=2)[:100])

# Managed policy files, as docs/admin-guide.md shows them.
seed("managed_policy", "fleet.json", '{"update_mode": "download_only", "target_version_prefix": "2.4.", '
     '"quiet_hours": "22:00-06:00",\n "repository_url": "https://mirror.corp.example/myapp/", '
     '"proxy": "http://proxy.corp.example:3128"}\n')
seed("managed_policy", "all.json", json.dumps({
    "update_mode": "automatic", "check_interval_minutes": 120, "channel": "beta", "target_version_prefix": "",
    "rollback_to_target_version": True, "allow_downgrade": False, "quiet_hours": "", "restart_prompt": "forced",
    "restart_deadline_hours": 48, "repository_url": "https://mirror.example/", "proxy": "direct",
    "check_on_start_deadline_seconds": 30}, indent=1))

# Raw HTTP responses (mode byte: 0 get, 1 download, 2 resume; http_response_fuzzer.cpp).
body = b"0123456789abcdef"
responses = {
    "ok": b"\x01HTTP/1.1 200 OK\r\nContent-Length: 16\r\nContent-Type: application/octet-stream\r\n\r\n" + body,
    "get": b"\x00HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n" + body,
    "partial": b"\x02HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-15/16\r\nContent-Length: 11\r\n\r\n"
               + body[5:],
    "chunked": b"\x01HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n" + body + b"\r\n0\r\n\r\n",
    "unsized": b"\x01HTTP/1.0 200 OK\r\n\r\n" + body,
    "redirect": b"\x01HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
    "missing": b"\x00HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
    "range416": b"\x02HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */3\r\n\r\n",
}
for name, data in responses.items():
    seed("http_response", name, data)
