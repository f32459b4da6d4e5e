"""tl_cc_library: runs tlgen over a TL schema at build time and compiles the result."""

def tl_cc_library(name, schema, ns, shards = 1, visibility = None):
    """Generates `<ns>.h` and `<ns>_<k>.cc` under generated/ in this package and builds them.

    Args:
      name: the cc_library target.
      schema: the .tl file.
      ns: C++ namespace inside tgrpc::tl (and the file stem).
      shards: number of .cc files (parallel compile units).
      visibility: of the cc_library.
    """
    header = "generated/%s.h" % ns
    srcs = ["generated/%s_%d.cc" % (ns, k) for k in range(shards)]
    include_path = native.package_name() + "/" + header
    native.genrule(
        name = name + "_gen",
        srcs = [schema],
        outs = [header] + srcs,
        cmd = "$(location //tl/gen:tlgen) $(location %s) %s %s %s" % (
            schema,
            ns,
            include_path,
            " ".join(["$(location %s)" % f for f in [header] + srcs]),
        ),
        tools = ["//tl/gen:tlgen"],
    )
    native.cc_library(
        name = name,
        srcs = srcs,
        hdrs = [header],
        deps = ["//tl/runtime:object"],
        alwayslink = True,
        visibility = visibility,
    )
