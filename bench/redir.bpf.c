// SPDX-License-Identifier: GPL-2.0
/* The programs of bench/guest.sh. Both rewrite the Ethernet addresses of
 * every IPv4 packet and redirect it; anything else (ARP) passes. bench/load.c
 * fills in the configuration and attaches them as tcx ingress or as a netkit
 * peer program.
 *   redir (b, c, d; p_nk): bpf_redirect() to the uplink, egress, with the
 *	addresses the remote end expects; in p_nk to the other pod's netkit
 *	primary, whose xmit hands the packet to that pod's netkit peer.
 *   redir_peer (p_off, p_on): bpf_redirect_peer() to the other pod's
 *	host-side veth end: its peer, in that pod, receives the packet.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct cfg {
	__u32 ifindex;		/* uplink, or the other pod's host side */
	__u8 dmac[ETH_ALEN];	/* the receiver's address */
	__u8 smac[ETH_ALEN];	/* the sending device's address */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cfg);
} cfg SEC(".maps");

/* PEER is a constant once inlined: redir compiles as it did on its own */
static __always_inline int redirect(struct __sk_buff *skb, int peer)
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
	return peer ? bpf_redirect_peer(c->ifindex, 0) : bpf_redirect(c->ifindex, 0);
}

SEC("tc")
int redir(struct __sk_buff *skb)
{
	return redirect(skb, 0);
}

SEC("tc")
int redir_peer(struct __sk_buff *skb)
{
	return redirect(skb, 1);
}

char _license[] SEC("license") = "GPL";
