# uscheme: top-level build and the two commands of the README.
#
#   make run        the main job: boot Debian's stock 6.1 kernel in QEMU with
#                   uscheme.ko loaded and run the demo (installs what it needs)
#   make check      every test (installs what it needs; first run ~20 minutes)
#   make bench      IPC round trips: uscheme ring and fd vs unix socket, pipe, FUSE, io_uring (QEMU)
#   make bench-profile  single bench cells under perf in the 6.1 guest (CELLS="ring 0 1,fd 0 1", OPS=N)
#   make bench-usb  one USB disk read through Linux's usb-storage and through xhcid's usb.*: (QEMU)
#   make bench-disk the USB disk stack against Linux's: sd, disk scheme ring/fd, ublk; USB2, UAS (QEMU)
#   make fuzz       the fuzzer's long run (FUZZ_SECONDS, default 600) in the debug kernel VM
#
#   make module     build uscheme.ko for the running kernel (KDIR= to override)
#   make userspace  build libuscheme, the uscheme tool and test programs
#   make install    install uscheme.ko into /lib/modules/$(KVER)/updates
#
# The module itself is described by Kbuild.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

userspace:
	$(MAKE) -C userspace-drivers O=$(CURDIR)/build/userspace

run:
	bash tests/run-demo.sh

check:
	bash tests/run-all.sh

bench:
	bash tests/run-bench.sh

bench-profile:
	bash tests/run-profile.sh --ops $(or $(OPS),8192) $(if $(CELLS),"$(CELLS)")

bench-usb:
	bash tests/run-usb-bench.sh

bench-disk:
	bash tests/run-disk-bench.sh

fuzz:
	bash tests/fuzz/run-fuzz.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

.PHONY: all module install userspace run check bench bench-profile bench-usb bench-disk fuzz clean
