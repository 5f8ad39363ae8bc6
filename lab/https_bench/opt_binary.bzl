"""opt_binary: a binary built with `-c opt` whatever the command line says.

The HTTPS benchmark measures ews-server as it ships (optimised), also when run as
`bazel run //lab/https_bench:https_bench` without `-c opt`.
"""

def _opt_transition_impl(settings, attr):
    return {"//command_line_option:compilation_mode": "opt"}

_opt_transition = transition(
    implementation = _opt_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:compilation_mode"],
)

def _opt_binary_impl(ctx):
    # An attribute with an incoming transition is a list of one target.
    binary = ctx.attr.binary[0][DefaultInfo]
    executable = binary.files_to_run.executable
    out = ctx.actions.declare_file(ctx.label.name)

    # A symlink: the loader resolves $ORIGIN (the runpath to the TLS shim) from
    # the real file, which stays where Bazel built it.
    ctx.actions.symlink(output = out, target_file = executable, is_executable = True)
    return [DefaultInfo(
        executable = out,
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out]).merge(binary.default_runfiles),
    )]

opt_binary = rule(
    implementation = _opt_binary_impl,
    attrs = {
        "binary": attr.label(cfg = _opt_transition, executable = True, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    executable = True,
)
