"""`make run`'s local stack: the AWS emulator, the gateway in front of the functions, faults."""
