# veth bpf-xmit: build, boot and measure the series. See README.md.
SHELL := /bin/bash
S := scripts
.DEFAULT_GOAL := help

.PHONY: all deps tree tree-linux tree-iproute2 export export-linux \
	export-iproute2 kernel iproute2 tools build check demo bench \
	series-check shell paths stress clean

all: build

.PHONY: help
help:
	@echo "make TARGET [ARGS=...] [VERBOSE=1]; README.md has the details."
	@echo "  demo          boot the patched kernel, run the pod -> host -> uplink scenario"
	@echo "  check         build everything, run the tests in the VM; last line: N passed, N failed"
	@echo "  build         deps, kernel, iproute2, tools, cni (incremental, ccache)"
	@echo "  deps          install what the project needs (apt-get, as root; Debian 12)"
	@echo "  tree          recreate build/linux, iproute2, netlink-go, cni-plugins: git, one commit per patch"
	@echo "  export        write build/'s commits back to patches/ (the cover letters' text is kept)"
	@echo "  kernel        build the guest kernel in build/kernel"
	@echo "  iproute2      build ip and tc, linked as build/bin/ip and build/bin/tc"
	@echo "  tools         build bpftool, linked as build/bin/bpftool"
	@echo "  cni           build the patched Go netlink library's tests and CNI ptp plugin into build/cni/"
	@echo "  series-check  patches apply, checkpatch --strict, cover letters, veth.rst, kernel-doc, builds, gofmt"
	@echo "  stress        debug kernel (KASAN, lockdep, ...) under churn, then the kselftests [ARGS='SECONDS [CASES]']"
	@echo "  bench         veth today vs bpf-xmit vs netkit vs the host, pod to pod [ARGS: bench/run.sh --help]"
	@echo "  shell         interactive VM (virtme-ng) with the built ip, tc, bpftool first in PATH"
	@echo "  paths         print where the build put the kernel, ip, tc, bpftool, selftests"
	@echo "  clean         remove build/"
	@echo "Build steps write their output to build/logs/STEP.log and print one line each; VERBOSE=1 shows it all."

deps:
	@$(S)/deps.sh

tree: tree-linux tree-iproute2
tree-linux:
	@$(S)/tree.sh linux
tree-iproute2:
	@$(S)/tree.sh iproute2

export: export-linux export-iproute2
export-linux:
	@$(S)/export.sh linux
export-iproute2:
	@$(S)/export.sh iproute2

# Build steps reuse build/ when it is there; 'make tree' starts it anew.
build/linux/.git:
	@$(S)/tree.sh linux
build/iproute2/.git:
	@$(S)/tree.sh iproute2

kernel: build/linux/.git
	@$(S)/kernel.sh
iproute2: build/iproute2/.git
	@$(S)/iproute2.sh
tools: build/linux/.git
	@$(S)/tools.sh

build: deps kernel iproute2 tools

check: build
	@$(S)/check.sh

# Said before anything is built: what demo does, and which step is long.
ifneq ($(filter demo,$(MAKECMDGOALS)),)
$(info demo: deps, tree, kernel, iproute2, tools, cni, selftests (logs in build/logs/), then guest/demo.sh in the VM$(if \
	$(wildcard build/kernel/arch/x86/boot/bzImage),,; first run: the kernel build is the long step (8 to 30 min on 2 cores)))
endif
demo: build
	@$(S)/selftests.sh
	@$(S)/vm.sh -t 900 -- guest/demo.sh $(ARGS)

bench: build
	@bench/run.sh $(ARGS)

series-check: deps build/linux/.git
	@$(S)/series-check.sh

stress: deps build/linux/.git
	@$(S)/stress.sh $(ARGS)

shell: build
	@$(S)/vm.sh -i

paths:
	@$(S)/paths.sh

clean:
	rm -rf build

# The Go side: vishvananda/netlink and the CNI plugins' ptp with bpfXmit
# (patches/netlink-go, patches/cni-plugins), built into build/cni/ for the
# VM's checks (guest/netlink-go.sh, guest/cni-bpfxmit.sh).
.PHONY: cni tree-netlink-go tree-cni-plugins export-netlink-go export-cni-plugins
tree: tree-netlink-go tree-cni-plugins
tree-netlink-go:
	@$(S)/tree.sh netlink-go
tree-cni-plugins:
	@$(S)/tree.sh cni-plugins
export: export-netlink-go export-cni-plugins
export-netlink-go:
	@$(S)/export.sh netlink-go
export-cni-plugins:
	@$(S)/export.sh cni-plugins
build/netlink-go/.git:
	@$(S)/tree.sh netlink-go
build/cni-plugins/.git:
	@$(S)/tree.sh cni-plugins
cni: deps build/netlink-go/.git build/cni-plugins/.git
	@$(S)/cni.sh
build: cni
