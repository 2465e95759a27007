"""`make bench`: hookgate's costs, each beside a floor measured in the same run."""
