// SPDX-License-Identifier: GPL-2.0
/* Load bench/redir.bpf.o, configure one of its programs and attach it with
 * a bpf_link that is pinned (remove the pin to detach).
 *
 *   load OBJ tcx|tcx-peer|netkit DEV TARGET DST_MAC SRC_MAC PIN
 *
 * tcx: program redir as BPF_TCX_INGRESS on DEV (the host-side veth end).
 * tcx-peer: program redir_peer, the same way.
 * netkit: program redir as BPF_NETKIT_PEER on DEV, the netkit primary (host
 * side).
 * redir redirects IPv4 to TARGET's egress with DST_MAC/SRC_MAC, redir_peer
 * to TARGET's peer (bpf_redirect_peer).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct cfg {
	__u32 ifindex;
	__u8 dmac[6];
	__u8 smac[6];
};

static int parse_mac(const char *s, __u8 *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%*c",
		      &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *map;
	enum bpf_attach_type type;
	struct cfg c = {};
	unsigned int dev;
	__u32 key = 0;
	int fd;

	if (argc != 8) {
		fprintf(stderr, "usage: %s OBJ tcx|tcx-peer|netkit DEV TARGET DST_MAC SRC_MAC PIN\n",
			argv[0]);
		return 2;
	}
	if (!strcmp(argv[2], "tcx") || !strcmp(argv[2], "tcx-peer"))
		type = BPF_TCX_INGRESS;
	else if (!strcmp(argv[2], "netkit"))
		type = BPF_NETKIT_PEER;
	else {
		fprintf(stderr, "load: unknown attach type %s\n", argv[2]);
		return 2;
	}
	dev = if_nametoindex(argv[3]);
	c.ifindex = if_nametoindex(argv[4]);
	if (!dev || !c.ifindex || parse_mac(argv[5], c.dmac) || parse_mac(argv[6], c.smac)) {
		fprintf(stderr, "load: bad device or MAC address\n");
		return 2;
	}

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "load: cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, strcmp(argv[2], "tcx-peer") ?
						"redir" : "redir_peer");
	map = bpf_object__find_map_by_name(obj, "cfg");
	if (!prog || !map ||
	    bpf_map__update_elem(map, &key, sizeof(key), &c, sizeof(c), 0)) {
		fprintf(stderr, "load: cannot configure %s\n", argv[1]);
		return 1;
	}
	fd = bpf_link_create(bpf_program__fd(prog), dev, type, NULL);
	if (fd < 0 || bpf_obj_pin(fd, argv[7])) {
		fprintf(stderr, "load: cannot attach to %s or pin %s: %s\n",
			argv[3], argv[7], strerror(errno));
		return 1;
	}
	return 0;
}
