#!/usr/bin/env python3
"""Extracts the pinned TL schema and error list into tl/schema/ from the npm package @mtcute/core.

The package ships the layer as JSON (tl/api-schema.json, tl/mtp-schema.json, tl/raw-errors.json).
This script turns it back into Telegram's own TL text, undoing mtcute's conventions:
  - `int53` is mtcute's name for a `long` it reads as a JS number: written back as `long`;
  - MTProto constructors carry an `mt_` prefix: dropped;
  - vector modifiers become Vector<T> / vector<T> (bare), predicates become flags.N?T;
  - the MTProto JSON lists functions as classes too: the known MTProto functions go under
    ---functions---.
Constructors the JSON leaves out (the built-in Bool/True/Vector/Null of the API schema, and the
MTProto service envelopes and legacy handshake types) are written in from Telegram's published
schema (core.telegram.org/schema/mtproto).

api_comments.tsv carries the documentation comments the API JSON holds for its constructors,
methods and their arguments: Telegram's own descriptions from core.telegram.org, kept as data so
that the raw API .proto generator can put them on messages and fields.

Usage: tl/schema/update_schema.py [--package-dir DIR]   (default: `npm pack` the pinned version)
Re-running it reproduces the committed files byte for byte.
"""
import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@mtcute/core"
VERSION = "0.31.0"
OUT_DIR = os.path.dirname(os.path.abspath(__file__))

API_PRELUDE = """\
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
true#3fed8ee6 = True;
vector#1cb5c415 {t:Type} # [ t ] = Vector t;
null#56730bcc = Null;
"""

# From Telegram's published MTProto schema; not in mtcute's JSON.
MTP_EXTRA_TYPES = """\
vector#1cb5c415 {t:Type} # [ t ] = Vector t;
p_q_inner_data#83c95aec pq:bytes p:bytes q:bytes nonce:int128 server_nonce:int128 new_nonce:int256 = P_Q_inner_data;
p_q_inner_data_temp#3c6a84d4 pq:bytes p:bytes q:bytes nonce:int128 server_nonce:int128 new_nonce:int256 expires_in:int = P_Q_inner_data;
server_DH_params_fail#79cb045d nonce:int128 server_nonce:int128 new_nonce_hash:int128 = Server_DH_Params;
rpc_result#f35c6d01 req_msg_id:long result:Object = RpcResult;
msg_container#73f1f8dc messages:vector<%Message> = MessageContainer;
message#5bb8e511 msg_id:long seqno:int bytes:int body:Object = Message;
msg_copy#e06046b2 orig_message:Message = MessageCopy;
gzip_packed#3072cfa1 packed_data:bytes = Object;
msg_resend_ans_req#8610baeb msg_ids:Vector<long> = MsgResendReq;
"""

MTP_EXTRA_FUNCTIONS = """\
req_pq#60469778 nonce:int128 = ResPQ;
"""

MTP_FUNCTIONS = {
    "req_pq_multi", "req_DH_params", "set_client_DH_params", "rpc_drop_answer",
    "get_future_salts", "ping", "ping_delay_disconnect", "destroy_session", "destroy_auth_key",
}


def fetch_package(workdir):
    subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{VERSION}"], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    tgz = [f for f in os.listdir(workdir) if f.endswith(".tgz")][0]
    with tarfile.open(os.path.join(workdir, tgz)) as tar:
        tar.extractall(workdir)
    return os.path.join(workdir, "package")


def type_name(t, strip_mt):
    if t == "int53":
        return "long"
    if strip_mt and t.startswith("mt_"):
        return t[3:]
    return t


def render_arg(arg, strip_mt):
    t = type_name(arg["type"], strip_mt)
    mods = arg.get("typeModifiers", {})
    if mods.get("isBareVector"):
        t = f"vector<{t}>"
    elif mods.get("isVector"):
        t = f"Vector<{t}>"
    if "predicate" in mods:
        t = f"{mods['predicate']}?{t}"
    return f"{arg['name']}:{t}"


def render(entry, strip_mt):
    name = entry["name"][3:] if strip_mt and entry["name"].startswith("mt_") else entry["name"]
    parts = [f"{name}#{entry['id']:08x}"]
    for g in entry.get("generics", []):
        parts.append(f"{{{g['name']}:{g['type']}}}")
    parts += [render_arg(a, strip_mt) for a in entry["arguments"]]
    result = type_name(entry["type"], strip_mt)
    if entry.get("typeModifiers", {}).get("isVector"):
        result = f"Vector<{result}>"
    return " ".join(parts) + f" = {result};"


def one_line(comment):
    # The .tsv is split on tabs and newlines; the HTML in the comments needs neither.
    return comment.replace("\t", " ").replace("\r", " ").replace("\n", " ").strip()


def api_comments(entries):
    """The comment lines of api.tl's combinators, in api.tl's order (constructors, then methods)."""
    lines = [f"# From {PACKAGE}@{VERSION} by tl/schema/update_schema.py. combinator<TAB>argument"
             " (empty: the combinator itself)<TAB>comment (HTML; tabs and newlines in it are"
             " replaced by spaces)"]
    for kind in ("class", "method"):
        for e in (e for e in entries if e["kind"] == kind):
            if one_line(e.get("comment") or ""):
                lines.append(f"{e['name']}\t\t{one_line(e['comment'])}")
            for a in e["arguments"]:
                if one_line(a.get("comment") or ""):
                    lines.append(f"{e['name']}\t{a['name']}\t{one_line(a['comment'])}")
    return "\n".join(lines) + "\n"


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(path)} ({text.count(chr(10))} lines)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--package-dir", help="an unpacked @mtcute/core package (default: npm pack)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pkg = args.package_dir or fetch_package(tmp)
        with open(os.path.join(pkg, "package.json")) as f:
            version = json.load(f)["version"]
        if version != VERSION:
            sys.exit(f"expected {PACKAGE}@{VERSION}, found {version}")
        with open(os.path.join(pkg, "tl", "api-schema.json")) as f:
            api = json.load(f)
        with open(os.path.join(pkg, "tl", "mtp-schema.json")) as f:
            mtp = json.load(f)
        with open(os.path.join(pkg, "tl", "raw-errors.json")) as f:
            errors = json.load(f)

    header = (f"// Generated by tl/schema/update_schema.py from {PACKAGE}@{VERSION}. Do not edit.\n")
    layer = api["l"]
    classes = [render(e, False) for e in api["e"] if e["kind"] == "class"]
    methods = [render(e, False) for e in api["e"] if e["kind"] == "method"]
    write(os.path.join(OUT_DIR, "api.tl"),
          header + f"// LAYER {layer}\n\n" + API_PRELUDE + "\n".join(classes) +
          "\n\n---functions---\n\n" + "\n".join(methods) + "\n")

    mtp_types = [render(e, True) for e in mtp if e["name"][3:] not in MTP_FUNCTIONS]
    mtp_funcs = [render(e, True) for e in mtp if e["name"][3:] in MTP_FUNCTIONS]
    write(os.path.join(OUT_DIR, "mtproto.tl"),
          header + "\n" + MTP_EXTRA_TYPES + "\n".join(mtp_types) + "\n\n---functions---\n\n" +
          MTP_EXTRA_FUNCTIONS + "\n".join(mtp_funcs) + "\n")

    lines = ["# code\tname\tdescription (tab-separated; %d in a name is a number argument)"]
    for name in sorted(errors["errors"]):
        e = errors["errors"][name]
        desc = " ".join(e.get("description", "").split())
        lines.append(f"{e['code']}\t{name}\t{desc}")
    write(os.path.join(OUT_DIR, "errors.tsv"), "\n".join(lines) + "\n")

    write(os.path.join(OUT_DIR, "api_comments.tsv"), api_comments(api["e"]))


if __name__ == "__main__":
    main()
