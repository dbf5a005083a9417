"""zmtp_bench: zmtp against pyzmq (libzmq), side by side, in one run.

    zmtp-bench                       # the default: DEALER_ROUTER over tcp, ~1 minute
    zmtp-bench --patterns all --transports tcp,ipc,inproc --sizes all --runs 5

Every measurement pairs a zmtp backend with its pyzmq baseline and runs them
interleaved (ours, pyzmq, ours, pyzmq...) so that machine drift cancels in the
ratio; medians of several runs are reported with their spread.
"""
