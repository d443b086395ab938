#!/usr/bin/env python3
"""Netlink bad input for IFLA_VETH_BPF_XMIT, as raw RTM_NEWLINK requests.

Each malformed request must be refused with an extack message and must
leave the devices as they were. Prints TAP; runs as root in a netns of its
own (it creates one with 'ip netns')."""
import os
import socket
import struct
import subprocess
import sys

RTM_NEWLINK, NLMSG_ERROR = 16, 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x200, 0x400
NLM_F_ACK_TLVS = 0x200
NETLINK_CAP_ACK, NETLINK_EXT_ACK = 10, 11
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
IFLA_IFNAME, IFLA_LINKINFO = 3, 18
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
VETH_INFO_PEER, IFLA_VETH_BPF_XMIT = 1, 2
NS = 'vbx-nl-%d' % os.getpid()


def attr(kind, payload):
    hdr = struct.pack('=HH', 4 + len(payload), kind)
    return hdr + payload + b'\0' * (-len(payload) % 4)


def ifname(name):
    return attr(IFLA_IFNAME, name.encode() + b'\0')


def ifinfomsg(index=0):
    return struct.pack('=BxHiII', 0, 0, index, 0, 0)


def linkinfo(kind, data):
    return attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, kind.encode()) +
                (attr(IFLA_INFO_DATA, data) if data is not None else b''))


def peer(name, extra=b''):
    return attr(VETH_INFO_PEER, ifinfomsg() + ifname(name) + extra)


def xmit(v):
    return attr(IFLA_VETH_BPF_XMIT, struct.pack('=I', v))


def request(body, create):
    """Send RTM_NEWLINK; return (errno, extack message)."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    s.setsockopt(270, NETLINK_EXT_ACK, 1)
    s.setsockopt(270, NETLINK_CAP_ACK, 1)
    flags = NLM_F_REQUEST | NLM_F_ACK
    if create:
        flags |= NLM_F_CREATE | NLM_F_EXCL
    msg = struct.pack('=IHHII', 16 + len(body), RTM_NEWLINK, flags, 1, 0)
    s.send(msg + body)
    data = s.recv(65536)
    s.close()
    _, mtype, mflags, _, _ = struct.unpack_from('=IHHII', data)
    assert mtype == NLMSG_ERROR
    err, = struct.unpack_from('=i', data, 16)
    text = ''
    if mflags & NLM_F_ACK_TLVS:
        off = 16 + 4 + 16          # error, then the request's header only
        while off + 4 <= len(data):
            alen, atype = struct.unpack_from('=HH', data, off)
            if alen < 4:
                break
            if atype == NLMSGERR_ATTR_MSG:
                text = data[off + 4:off + alen].rstrip(b'\0').decode()
            off += (alen + 3) & ~3
    return -err, text


def ip(*args):
    return subprocess.run(('ip',) + args, capture_output=True, text=True)


def flag(dev):
    out = ip('-d', 'link', 'show', 'dev', dev).stdout
    for word, nxt in zip(out.split(), out.split()[1:]):
        if word == 'bpf-xmit':
            return nxt
    return None


def index(dev):
    return int(open('/sys/class/net/%s/ifindex' % dev).read())


def main():
    """Run the cases in a netns of their own (ip netns exec also gives
    that netns its own /sys)."""
    if os.environ.get('VBX_NL_INNER'):
        return run()
    subprocess.run(['ip', 'netns', 'add', NS], check=True)
    try:
        env = dict(os.environ, VBX_NL_INNER='1')
        return subprocess.run(['ip', 'netns', 'exec', NS, sys.executable,
                               os.path.abspath(__file__)], env=env).returncode
    finally:
        subprocess.run(['ip', 'netns', 'del', NS])


def run():
    results = []

    def case(desc, ok, note=''):
        results.append(ok)
        print('%s %d - %s' % ('ok' if ok else 'not ok', len(results), desc))
        if note:
            print('# ' + note)

    def refused_new(desc, data, name='bad0'):
        err, text = request(ifinfomsg() + ifname(name) +
                            linkinfo('veth', data), True)
        gone = not os.path.exists('/sys/class/net/' + name)
        if not gone:
            ip('link', 'del', name)
        case('newlink: %s is refused with a message' % desc,
             err != 0 and bool(text) and gone,
             'errno %d, extack "%s", device %s' %
             (err, text, 'absent' if gone else 'CREATED'))

    print('TAP version 13')
    print('1..13')
    refused_new('bpf-xmit 2', peer('bad1') + xmit(2))
    bad = [v for v in range(2, 256)
           if request(ifinfomsg() + ifname('bad0') +
                      linkinfo('veth', peer('bad1') + xmit(v)), True)[0] == 0]
    case('newlink: every bpf-xmit value 2..255 is refused', not bad,
         'accepted: %s' % bad if bad else '')
    refused_new('a u8-sized bpf-xmit',
                peer('bad1') + attr(IFLA_VETH_BPF_XMIT, bytes([1])))
    refused_new('a zero-length bpf-xmit',
                peer('bad1') + attr(IFLA_VETH_BPF_XMIT, b''))
    # rtnetlink parses every kind's linkinfo data liberally: bytes after
    # the last well-formed attribute are dropped with a warning, for veth
    # as for every other kind. Check that, and that what came before
    # them was taken as sent.
    err, text = request(ifinfomsg() + ifname('bad0') + linkinfo(
        'veth', peer('bad1') + xmit(1) +
        struct.pack('=HH', 64, IFLA_VETH_BPF_XMIT) + b'\1\0\0\0'), True)
    state = flag('bad0')
    ip('link', 'del', 'bad0')
    case('newlink: trailing garbage in the veth data is reported, '
         'the attributes before it are taken',
         err == 0 and 'leftover' in text and state == 'on',
         'errno %d, extack "%s", bpf-xmit %s' % (err, text, state))
    refused_new('bpf-xmit 2 inside the peer info',
                peer('bad1', linkinfo('veth', xmit(2))))
    refused_new('a u8-sized bpf-xmit inside the peer info',
                peer('bad1', linkinfo('veth', attr(IFLA_VETH_BPF_XMIT,
                                                   bytes([1])))))
    # The peer's own linkinfo data sets the peer's end, and only that
    err, text = request(ifinfomsg() + ifname('q0') + linkinfo(
        'veth', peer('q1', linkinfo('veth', xmit(1)))), True)
    case('newlink: bpf-xmit inside the peer info sets the peer\'s end only',
         err == 0 and flag('q0') == 'off' and flag('q1') == 'on',
         'errno %d "%s", q0 %s, q1 %s' % (err, text, flag('q0'), flag('q1')))
    ip('link', 'del', 'q0')
    # Netlink libraries that copy the whole linkinfo into the peer's: data
    # other than bpf-xmit in there is ignored, as it always was
    err, text = request(ifinfomsg() + ifname('o0') + linkinfo(
        'veth', peer('o1', linkinfo('veth', peer('o2')))), True)
    made = all(os.path.exists('/sys/class/net/' + d) for d in ('o0', 'o1'))
    ip('link', 'del', 'o0')
    case('newlink: other veth data inside the peer info is ignored, as before',
         err == 0 and made, 'errno %d, extack "%s"' % (err, text))

    err, text = request(ifinfomsg() + ifname('v0') +
                        linkinfo('veth', peer('v1') + xmit(1)), True)
    case('newlink: a valid bpf-xmit 1 is taken for the new end, not its peer',
         err == 0 and flag('v0') == 'on' and flag('v1') == 'off',
         'errno %d "%s", v0 %s, v1 %s' % (err, text, flag('v0'), flag('v1')))

    err, text = request(ifinfomsg(index('v1')) + linkinfo('veth', xmit(7)), False)
    case('changelink: bpf-xmit 7 is refused, nothing changes',
         err != 0 and bool(text) and flag('v0') == 'on' and flag('v1') == 'off',
         'errno %d, extack "%s"' % (err, text))

    err, text = request(ifinfomsg(index('v0')) +
                        linkinfo('veth', xmit(0) + peer('v2')), False)
    case('changelink: a new peer is refused, nothing changes',
         err != 0 and bool(text) and flag('v0') == 'on',
         'errno %d, extack "%s"' % (err, text))

    subprocess.run(['ip', 'link', 'add', 'd0', 'type', 'dummy'], check=True)
    err, text = request(ifinfomsg(index('d0')) + linkinfo('dummy', xmit(1)), False)
    case('changelink: bpf-xmit on a dummy device is refused',
         err != 0, 'errno %d, extack "%s"' % (err, text))
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
