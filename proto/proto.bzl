"""C++ (and gRPC) code for .proto files in this package, from Debian's protoc and grpc_cpp_plugin.

The native proto_library needs @com_google_protobuf//:protoc, which does not exist offline, so a
genrule runs the system tools. Import paths are relative to this package (tgrpc/v1/...), which
is also what callers in other languages use.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

def cc_grpc_proto_library(name, srcs, proto_deps = [], deps = [], grpc = True):
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    plugin = ""
    if grpc:
        plugin = ("--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin " +
                  "--grpc_out=$(GENDIR)/" + native.package_name() + " ")
    native.genrule(
        name = name + "_gen",
        srcs = srcs + proto_deps,
        outs = outs,
        cmd = ("protoc -I" + native.package_name() + " -I/usr/include " +
               "--cpp_out=$(GENDIR)/" + native.package_name() + " " + plugin +
               " ".join(["$(location %s)" % s for s in srcs])),
    )
    cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        copts = ["-Wno-unused-parameter"],
        deps = deps + ["@system//:grpcpp"],
    )
