#!/usr/bin/env python3
"""A minimal MELSEC/SLMP 3E and 4E server (binary and ASCII) on 127.0.0.1:5007, for recording
pymcprotocol against it (record.sh). It answers what the client asks with plausible data:
device reads with counting values, writes, remote run/stop/pause/reset and Read Type Name
("Q03UDVCPU", model code 0x0268). It stops after one connection closes."""
import socket
import struct
import sys

MODEL = b"Q03UDVCPU".ljust(16, b" ")
MODEL_CODE = 0x0268


def answer_data(command, subcommand, data, ascii_mode):
    """The response data for one request (binary bytes or ASCII characters)."""
    if command == 0x0401:  # Device Read: head device, code, points
        points = int(data[-4:], 16) if ascii_mode else struct.unpack("<H", data[-2:])[0]
        if subcommand & 1:  # bit units: one nibble per point
            nibbles = [(i % 2) for i in range(points)]
            if ascii_mode:
                return "".join(str(n) for n in nibbles).encode()
            padded = nibbles + [0] * (points % 2)
            return bytes((padded[i] << 4) | padded[i + 1] for i in range(0, len(padded), 2))
        words = [(100 + i) & 0xFFFF for i in range(points)]
        if ascii_mode:
            return "".join(f"{w:04X}" for w in words).encode()
        return b"".join(struct.pack("<H", w) for w in words)
    if command == 0x0101:  # Read Type Name
        if ascii_mode:
            return MODEL + f"{MODEL_CODE:04X}".encode()
        return MODEL + struct.pack("<H", MODEL_CODE)
    if command == 0x0619:  # self test: echo the loopback data
        return data
    return b""


def serve(conn):
    buf = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            return
        buf += chunk
        while True:
            ascii_mode = buf[:1] in (b"5",)
            if ascii_mode:
                four_e = buf.startswith(b"5400")
                hlen = 26 if four_e else 18
                if len(buf) < hlen:
                    break
                length = int(buf[hlen - 4:hlen], 16)
            else:
                four_e = buf.startswith(b"\x54\x00")
                hlen = 13 if four_e else 9
                if len(buf) < hlen:
                    break
                length = struct.unpack("<H", buf[hlen - 2:hlen])[0]
            if len(buf) < hlen + length:
                break
            msg, buf = buf[:hlen + length], buf[hlen + length:]
            body = msg[hlen:]
            if ascii_mode:
                command, subcommand = int(body[4:8], 16), int(body[8:12], 16)
                data = body[12:]
                routing = msg[8:22] if four_e else msg[4:14]
                out = answer_data(command, subcommand, data, True)
                head = (b"D400" + msg[4:12]) if four_e else b"D000"
                reply = head + routing + f"{4 + len(out):04X}".encode() + b"0000" + out
            else:
                command, subcommand = struct.unpack("<HH", body[2:6])
                data = body[6:]
                routing = msg[6:11] if four_e else msg[2:7]
                out = answer_data(command, subcommand, data, False)
                head = (b"\xd4\x00" + msg[2:6]) if four_e else b"\xd0\x00"
                reply = head + routing + struct.pack("<H", 2 + len(out)) + b"\x00\x00" + out
            conn.sendall(reply)


def main():
    connections = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 5007))
        s.listen(1)
        s.settimeout(20)
        for _ in range(connections):
            conn, _ = s.accept()
            with conn:
                serve(conn)


if __name__ == "__main__":
    main()
