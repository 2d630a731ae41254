# xhcid, the xHCI driver pcid spawns, and its tests; included by ../Makefile
# after pcid/pcid.mk (paths relative to userspace-drivers/).
XHCID_BINS := $(O)/xhcid $(O)/xhcid.conf $(O)/usbprobe
XHCID_HDRS := $(wildcard xhcid/*.h) $(PCID_HDRS)
# usb-probe.c is usbprobe, the example class driver; the rest is xhcid.
XHCID_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(filter-out xhcid/usb-probe.c,$(wildcard xhcid/*.c)))
# Guest: tests/drivers/guest/xhcid-suite.sh runs xhcid under pcid against QEMU's USB
# devices, and xhcid_test (C) against its usb.*: scheme.
XHCID_TESTS := $(O)/xhcid_test $(O)/xhcid-suite.sh $(O)/xhcid_desc_test $(O)/xhcid_alt_test \
	$(O)/xhcid_attack

$(O)/obj/xhcid/%.o: xhcid/%.c $(XHCID_HDRS) $(HDRS) ../uapi/uscheme.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# pcid's config parser: --config FILE narrows what xhcid asks pcid for.
$(O)/xhcid: $(XHCID_OBJS) $(PCIDRV) $(O)/obj/pcid/config.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/usbprobe: $(O)/obj/xhcid/usb-probe.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/xhcid.conf: xhcid/xhcid.conf
	@mkdir -p $(dir $@)
	cp $< $@

$(O)/xhcid-suite.sh: $(DT)/guest/xhcid-suite.sh
	@mkdir -p $(dir $@)
	cp $< $@

XHCID_TEST_SRCS := $(wildcard $(DT)/guest/xhcid_test*.c)
$(O)/xhcid_test: $(XHCID_TEST_SRCS:$(DT)/%.c=$(O)/obj/%.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(XHCID_TEST_SRCS:$(DT)/%.c=$(O)/obj/%.o): $(XHCID_HDRS) $(wildcard $(DT)/guest/*.h)

# xhcid_attack: the holes a review found, one test each (tests/drivers/guest/xhcid_attack.c),
# over xhcid_test's helpers; xhcid-suite.sh runs it after xhcid_test.
$(O)/xhcid_attack: $(O)/obj/guest/xhcid_attack.o $(O)/obj/guest/xhcid_test_util.o \
		$(O)/obj/guest/xhcid_test_bot.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/obj/guest/xhcid_attack.o: $(XHCID_HDRS) $(wildcard $(DT)/guest/*.h)

# Host: the descriptor parsers (descparse.c) fed lying descriptors, under
# valgrind (tests/run-all.sh, "host valgrind: xhcid_desc_test").
UNIT += $(O)/xhcid_desc_test
$(O)/xhcid_desc_test: $(O)/obj/unit/xhcid_desc_test.o $(O)/obj/xhcid/descparse.o
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/obj/unit/xhcid_desc_test.o: $(XHCID_HDRS)

# Host: SET_CONFIGURATION and SET_INTERFACE (device.c compiled in whole,
# the controller stubbed) against descriptors that give two interfaces one
# endpoint address, under valgrind ("host valgrind: xhcid_alt_test").
UNIT += $(O)/xhcid_alt_test
$(O)/xhcid_alt_test: $(O)/obj/unit/xhcid_alt_test.o $(O)/obj/xhcid/descparse.o
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/obj/unit/xhcid_alt_test.o: xhcid/device.c $(XHCID_HDRS)

xhcid: $(XHCID_BINS) $(XHCID_TESTS)

.PHONY: xhcid
