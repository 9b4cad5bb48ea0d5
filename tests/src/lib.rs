//! Test support: run the real binary, speak JSON-RPC.
