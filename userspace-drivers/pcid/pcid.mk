# pcid, its probe driver and their tests; included by ../Makefile (paths
# relative to userspace-drivers/, $(O) and the flags from there). It comes
# before the Makefile's "all", which stays the default goal:
.DEFAULT_GOAL := all
PCID_BINS := $(O)/pcid $(O)/pciprobe $(O)/pcid.conf
PCID_HDRS := $(wildcard pcid/*.h)
# Host unit test (no kernel): the config parser, and libpcidrv's address
# parser, sysfs enumeration and binder.
PCID_UNIT := $(O)/pcid_unit_test
# Guest: tests/drivers/guest/pcid-suite.sh runs pcid_test (C) and the daemon's lifecycle.
PCID_TESTS := $(O)/pcid_test $(O)/pcid-suite.sh

$(O)/obj/pcid/%.o: pcid/%.c $(PCID_HDRS) $(HDRS) ../uapi/uscheme.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The daemon, split by job (state.h says which file does what).
PCID_OBJS := $(patsubst %,$(O)/obj/pcid/%.o,main scheme channel supervisor config)
$(O)/pcid: $(PCID_OBJS) $(PCIDRV) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/pciprobe: $(O)/obj/pcid/pci-probe.o $(PCIDRV) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

# The default config, next to pcid (which looks there without --config).
$(O)/pcid.conf: pcid/pcid.conf
	@mkdir -p $(dir $@)
	cp $< $@

$(O)/pcid-suite.sh: $(DT)/guest/pcid-suite.sh
	@mkdir -p $(dir $@)
	cp $< $@

$(O)/pcid_unit_test: $(O)/obj/unit/pcid_unit_test.o $(O)/obj/pcid/config.o $(PCIDRV)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/obj/unit/pcid_unit_test.o: $(PCID_HDRS)

$(O)/pcid_test: $(O)/obj/guest/pcid_test.o $(PCIDRV) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/obj/guest/pcid_test.o: $(PCID_HDRS)

pcid: $(PCID_BINS) $(PCID_UNIT) $(PCID_TESTS)

.PHONY: pcid
