# usbscsid, the USB mass-storage class driver, and its tests; included by
# ../Makefile after xhcid/xhcid.mk (paths relative to userspace-drivers/).
USBSCSID_BINS := $(O)/usbscsid
USBSCSID_HDRS := $(wildcard usbscsid/*.h) xhcid/usbscheme.h xhcid/descparse.h
USBSCSID_OBJS := $(O)/obj/usbscsid/main.o $(O)/obj/usbscsid/bot.o $(O)/obj/usbscsid/scsi.o \
	$(O)/obj/xhcid/descparse.o
# Host: scsi.c's parsers fed lying answers. Guest: usbscsid-suite.sh runs
# usbscsid against QEMU's USB disks and usbscsid_test against disk.*:.
USBSCSID_UNIT := $(O)/usbscsid_unit_test $(O)/usbscsid_io_test
USBSCSID_TESTS := $(O)/usbscsid_test $(O)/usbscsid-suite.sh $(O)/usbscsid-linux-guest.sh

$(O)/obj/usbscsid/%.o: usbscsid/%.c $(USBSCSID_HDRS) $(HDRS) ../uapi/uscheme.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/usbscsid: $(USBSCSID_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/usbscsid_unit_test: $(O)/obj/unit/usbscsid_unit_test.o $(O)/obj/usbscsid/scsi.o
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/obj/unit/usbscsid_unit_test.o: $(USBSCSID_HDRS)

# main.c compiled into the test whole; the reactor's SQEs and the replies
# are the test's own (the linker's --wrap), a hostile device played by hand.
USBSCSID_IO_WRAP := -Wl,--wrap=us_reactor_sqe -Wl,--wrap=us_reply -Wl,--wrap=us_daemon_stop
$(O)/usbscsid_io_test: $(O)/obj/unit/usbscsid_io_test.o $(O)/obj/usbscsid/bot.o \
		$(O)/obj/usbscsid/scsi.o $(O)/obj/xhcid/descparse.o $(LIB)
	$(CC) $(LDFLAGS) $(USBSCSID_IO_WRAP) -o $@ $^

$(O)/obj/unit/usbscsid_io_test.o: usbscsid/main.c $(USBSCSID_HDRS)

USBSCSID_TEST_SRCS := $(wildcard $(DT)/guest/usbscsid_test*.c)
$(O)/usbscsid_test: $(USBSCSID_TEST_SRCS:$(DT)/%.c=$(O)/obj/%.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(USBSCSID_TEST_SRCS:$(DT)/%.c=$(O)/obj/%.o): $(USBSCSID_HDRS) $(wildcard $(DT)/guest/*.h)

$(O)/usbscsid-suite.sh $(O)/usbscsid-linux-guest.sh: $(O)/%: $(DT)/guest/%
	@mkdir -p $(dir $@)
	cp $< $@

usbscsid: $(USBSCSID_BINS) $(USBSCSID_TESTS) $(USBSCSID_UNIT)

.PHONY: usbscsid
