# veth bpf-xmit: build, boot and measure the series. See README.md.
SHELL := /bin/bash
S := scripts

.PHONY: all deps tree tree-linux tree-iproute2 export export-linux \
	export-iproute2 kernel iproute2 tools build check demo bench \
	series-check shell paths stress clean

all: build

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

demo: build
	@$(S)/selftests.sh >/dev/null
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
