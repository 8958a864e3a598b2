"""The engineer's desk: a received bundle verified, reviewed and countersigned; comparisons."""
