"""Handing a model over: the safe ZIP reader, OpenSSF Model Signing, keys and trust, packing
and verifying bundles, and the engineer's review, reproduction and receipt."""
