# A real SIGSEGV (a read of address 0) with faulthandler on: the traceback
# on stderr, then death by SIGSEGV.
import ctypes
import faulthandler
import sys

faulthandler.enable()


def crash():
    print("about to crash", flush=True)
    ctypes.string_at(0)


crash()
print("not reached")
