"""The assignment engine: membership, overlap resolution, pools and explanations. Pure: no I/O."""
