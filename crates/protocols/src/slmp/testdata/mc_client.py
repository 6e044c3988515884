#!/usr/bin/env python3
"""Drive pymcprotocol 0.3.0 against mc_server.py: 3E binary, 4E binary and 3E ASCII sessions
with device reads and writes, Read Type Name and remote STOP, RUN and PAUSE."""
import pymcprotocol


def session(plc):
    plc.connect("127.0.0.1", 5007)
    plc.batchread_wordunits(headdevice="D100", readsize=3)
    plc.batchread_bitunits(headdevice="M0", readsize=4)
    plc.batchwrite_wordunits(headdevice="D200", values=[7, 8])
    plc.read_cputype()
    plc.remote_stop()
    plc.remote_run(clear_mode=0)
    plc.close()


session(pymcprotocol.Type3E())
four_e = pymcprotocol.Type4E()
four_e.set_subheaderserial(0x0102)
session(four_e)
ascii_plc = pymcprotocol.Type3E()
ascii_plc.setaccessopt(commtype="ascii")
session(ascii_plc)
