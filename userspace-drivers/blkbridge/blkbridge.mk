# blkbridge: a disk scheme as a Linux block device (ublk or NBD).
BLKBRIDGE_SRCS := blkbridge/main.c blkbridge/nbd.c blkbridge/ublk.c
# Not for -m32 (no 32-bit liburing).
BLKBRIDGE_BINS := $(if $(filter -m32,$(XFLAGS)),,$(O)/blkbridge)

$(BLKBRIDGE_SRCS:%.c=$(O)/obj/%.o): blkbridge/blkbridge.h

# liburing linked statically (ublk's URING_CMDs); none for -m32.
$(O)/blkbridge: $(BLKBRIDGE_SRCS:%.c=$(O)/obj/%.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(if $(filter -m32,$(XFLAGS)),,-l:liburing.a)
