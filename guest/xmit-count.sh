# shellcheck shell=bash
# Sourced, not run: count what bpf-xmit's hook did, per device, from the
# kernel's net:netif_ingress_xmit trace event, with a histogram trigger in a
# tracing instance of the caller's own (no ring buffer to overflow, nothing
# recorded until xc_open, nothing on the device).
#
#   xc_open NAME          start counting (instance NAME under tracefs)
#   xc_get NAME DEV WHAT  events so far for DEV; WHAT is inline (the hook ran
#                         in the sender: pass + redirect + drop), none,
#                         defer (left to the receive path), pass, redirect
#                         or drop
#   xc_close NAME         stop counting, remove the instance
#
# Needs CONFIG_HIST_TRIGGERS. Device names are matched whatever their netns.

XC_TRACEFS=${XC_TRACEFS:-/sys/kernel/tracing}
XC_HIST='hist:keys=name,res'

_xc_event() { echo "$XC_TRACEFS/instances/$1/events/net/netif_ingress_xmit"; }

xc_open() {	# name
	mkdir "$XC_TRACEFS/instances/$1" &&
	echo "$XC_HIST" > "$(_xc_event "$1")/trigger"
}

xc_close() {	# name
	[ -d "$XC_TRACEFS/instances/$1" ] || return 0
	echo "!$XC_HIST" > "$(_xc_event "$1")/trigger"
	rmdir "$XC_TRACEFS/instances/$1"
}

xc_get() {	# name dev what
	local codes
	# enum netif_ingress_res: none 0, defer 1, pass 2, redirect 3, drop 4
	case $3 in
	none) codes=0 ;; defer) codes=1 ;; pass) codes=2 ;;
	redirect) codes=3 ;; drop) codes=4 ;; inline) codes="2 3 4" ;;
	*) echo "xc_get: unknown result '$3'" >&2; return 2 ;;
	esac
	awk -v d="$2" -v want=" $codes " '/^{ name:/ {
		gsub(/[{},]/, " ")
		if ($2 == d && index(want, " " $4 " ")) s += $6
	}
	END { print s + 0 }' "$(_xc_event "$1")/hist"
}
