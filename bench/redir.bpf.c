// SPDX-License-Identifier: GPL-2.0
/* The one program of scenarios b, c and d: send every IPv4 packet out of the
 * uplink (bpf_redirect to its ifindex, egress) with the Ethernet addresses
 * the remote end expects; anything else (ARP) passes. bench/load.c fills in
 * the configuration and attaches it as tcx ingress or as a netkit peer
 * program.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct cfg {
	__u32 ifindex;		/* uplink */
	__u8 dmac[ETH_ALEN];	/* its peer's address */
	__u8 smac[ETH_ALEN];	/* its own address */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cfg);
} cfg SEC(".maps");

SEC("tc")
int redir(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct cfg *c;
	__u32 key = 0;

	if (data + sizeof(*eth) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	c = bpf_map_lookup_elem(&cfg, &key);
	if (!c || !c->ifindex)
		return TC_ACT_OK;
	__builtin_memcpy(eth->h_dest, c->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, c->smac, ETH_ALEN);
	return bpf_redirect(c->ifindex, 0);
}

char _license[] SEC("license") = "GPL";
