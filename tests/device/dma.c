// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): DMA buffer fds: alloc, mmap, limits, close,
 * bus addresses.
 */
#include "device.h"

/* ------------------------------------------------------------------ */
/* DMA                                                                 */

int test_dma_alloc_mmap(void)
{
	struct uscheme_dma d, info;
	struct stat st;
	uint8_t *a, *b;
	size_t i;
	int fn, fd, fd2;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	fd = dma_alloc(fn, 1, &d);
	CHECK(fd >= 0);
	CHECK_EQ(d.size, PAGE);
	CHECK(d.bus_addr != 0);
	CHECK_EQ(d.bus_addr & (PAGE - 1), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, PAGE);
	memset(&info, 0xa5, sizeof(info));
	CHECK_EQ(xioctl(fd, USCHEME_PIOC_DMA_INFO, &info), 0);
	CHECK_EQ(info.size, d.size);
	CHECK_EQ(info.bus_addr, d.bus_addr);
	a = map(fd, PAGE, 0, MAP_SHARED);
	CHECK(a != NULL);
	b = map(fd, PAGE, 0, MAP_SHARED);
	CHECK(b != NULL);
	for (i = 0; i < PAGE; i++)
		CHECK_EQ(a[i], 0);		/* zeroed */
	for (i = 0; i < PAGE; i++)
		a[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < PAGE; i++)
		CHECK_EQ(b[i], (uint8_t)(i * 7 + 3));
	/* the mapping keeps the buffer after its fd is closed */
	close(fd);
	CHECK_EQ(a[100], (uint8_t)(100 * 7 + 3));
	a[5] = 0x55;
	CHECK_EQ(b[5], 0x55);
	munmap(a, PAGE);
	munmap(b, PAGE);

	/* bigger buffers round up to pages; offsets within them map */
	fd2 = dma_alloc(fn, 3 * PAGE + 1, &d);
	CHECK(fd2 >= 0);
	CHECK_EQ(d.size, 4 * PAGE);
	a = map(fd2, 2 * PAGE, (off_t)(2 * PAGE), MAP_SHARED);
	CHECK(a != NULL);
	b = map(fd2, 4 * PAGE, 0, MAP_SHARED);
	CHECK(b != NULL);
	a[PAGE + 9] = 0x99;
	CHECK_EQ(b[3 * PAGE + 9], 0x99);
	munmap(a, 2 * PAGE);
	munmap(b, 4 * PAGE);
	CHECK_EQ(map_refused(fd2, 5 * PAGE, 0, MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(fd2, PAGE, (off_t)(4 * PAGE), MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(fd2, 2 * PAGE, (off_t)(3 * PAGE), MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(fd2, PAGE, 0, MAP_PRIVATE, EINVAL, EACCES), 0);
	close(fd2);
	close(fn);
	return 0;
}

int test_dma_limits(void)
{
	int fds[USCHEME_DMA_SESSION_MAX / USCHEME_DMA_MAX + 1];
	unsigned int n = USCHEME_DMA_SESSION_MAX / USCHEME_DMA_MAX, i;
	struct uscheme_dma d;
	int fn, fd;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(dma_alloc(fn, 0, &d), -EINVAL);
	CHECK_EQ(dma_alloc(fn, USCHEME_DMA_MAX + 1ULL, &d), -E2BIG);
	CHECK_EQ(dma_alloc(fn, 1ULL << 40, &d), -E2BIG);
	memset(&d, 0, sizeof(d));
	d.size = PAGE;
	d.flags = O_NONBLOCK;
	CHECK_EQ(xioctl(fn, USCHEME_PIOC_DMA_ALLOC, &d), -EINVAL);
	memset(&d, 0, sizeof(d));
	d.size = PAGE;
	d.resv[1] = 1;
	CHECK_EQ(xioctl(fn, USCHEME_PIOC_DMA_ALLOC, &d), -EINVAL);
	/* the session's limit, in USCHEME_DMA_MAX buffers */
	for (i = 0; i < n; i++) {
		fds[i] = dma_alloc(fn, USCHEME_DMA_MAX, &d);
		if (fds[i] < 0) {
			fprintf(stderr, "  buffer %u of %u (%u MiB each): %s\n", i + 1, n,
				USCHEME_DMA_MAX >> 20, strerror(-fds[i]));
			return -1;
		}
		CHECK_EQ(d.size, USCHEME_DMA_MAX);
	}
	CHECK_EQ(dma_alloc(fn, 1, &d), -ENOSPC);
	/* closing one (bus mastering off) frees it at once: room again */
	close(fds[3]);
	fds[3] = dma_alloc(fn, USCHEME_DMA_MAX, &d);
	CHECK(fds[3] >= 0);
	CHECK_EQ(dma_alloc(fn, 1, &d), -ENOSPC);
	close(fds[5]);
	fd = dma_alloc(fn, 1, &d);
	CHECK(fd >= 0);
	close(fd);
	for (i = 0; i < n; i++)
		if (i != 5)
			close(fds[i]);
	close(fn);
	return 0;
}

int test_dma_kept_while_master(void)
{
	int fds[USCHEME_DMA_SESSION_MAX / USCHEME_DMA_MAX];
	unsigned int n = USCHEME_DMA_SESSION_MAX / USCHEME_DMA_MAX, i;
	struct uscheme_dma d;
	int fn, fd;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(fn_master(fn, 1), 0);
	for (i = 0; i < n; i++) {
		fds[i] = dma_alloc(fn, USCHEME_DMA_MAX, &d);
		CHECK(fds[i] >= 0);
	}
	/* released while the device may still write there: kept and counted */
	close(fds[0]);
	CHECK_EQ(dma_alloc(fn, 1, &d), -ENOSPC);
	for (i = 1; i < n; i++)
		close(fds[i]);
	CHECK_EQ(dma_alloc(fn, 1, &d), -ENOSPC);
	CHECK_EQ(fn_master(fn, 0), 0);
	close(fn);
	/* a new session starts from nothing */
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	fd = dma_alloc(fn, USCHEME_DMA_MAX, &d);
	CHECK(fd >= 0);
	close(fd);
	close(fn);
	return 0;
}

int test_dma_double_close(void)
{
	struct uscheme_pci_info in;
	struct uscheme_dma d;
	uint8_t *p;
	int fn, fd, fd2;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	fd = dma_alloc(fn, PAGE, &d);
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	errno = 0;
	CHECK_EQ(close(fd), -1);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(xioctl(fd, USCHEME_PIOC_DMA_INFO, &d), -EBADF);
	/* nothing else broke: the session, a new buffer */
	CHECK_EQ(fn_info(fn, &in), 0);
	fd2 = dma_alloc(fn, 2 * PAGE, &d);
	CHECK(fd2 >= 0);
	p = map(fd2, 2 * PAGE, 0, MAP_SHARED);
	CHECK(p != NULL);
	p[PAGE] = 1;
	CHECK_EQ(p[PAGE], 1);
	munmap(p, 2 * PAGE);
	close(fd2);
	close(fn);
	return 0;
}

/*
 * The physical address behind a mapped, touched page, from
 * /proc/self/pagemap (needs CAP_SYS_ADMIN). -ENOENT when pagemap does not
 * say: it skips VM_PFNMAP mappings (dma_mmap_coherent's remap_pfn_range).
 */
static int phys_of(const void *va, uint64_t *pa)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	off_t off = (off_t)((uintptr_t)va / PAGE * 8);

	if (fd < 0)
		return -errno;
	if (pread(fd, &e, 8, off) != 8) {
		close(fd);
		return -EIO;
	}
	close(fd);
	if (!(e & (1ULL << 63)) || !(e & ((1ULL << 55) - 1)))
		return -ENOENT;		/* not present, or the PFN hidden */
	*pa = (e & ((1ULL << 55) - 1)) * PAGE;
	return 0;
}

/* Is [a, a + len) inside a "System RAM" range of /proc/iomem? 1, 0, -errno. */
static int in_system_ram(uint64_t a, uint64_t len)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");
	int found = 0, ranges = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		ranges++;
		if (e && a >= s && a + len - 1 <= e)
			found = 1;
	}
	fclose(f);
	return ranges ? found : -ENOENT;	/* all zero: addresses hidden */
}

static int iommu_present(const char *addr)
{
	char p[256];

	dev_path(p, sizeof(p), addr, "iommu_group");
	return access(p, F_OK) == 0;
}

/*
 * Without an IOMMU the bus address is the physical address (dma-direct);
 * behind one it is an IOVA. The physical address comes from pagemap when
 * that shows it; else the bus address is checked against System RAM in
 * /proc/iomem: inside it without an IOMMU, outside with one (Linux hands
 * out IOVAs from the top of the 32-bit space down, above a small guest's RAM).
 */
int test_dma_bus_address(void)
{
	const char *want = getenv("USCHEME_EXPECT_IOMMU");
	struct uscheme_dma d;
	uint64_t pa0 = 0, pa1 = 0;
	volatile uint8_t *p;
	int fn, fd, iommu, err, ram;

	NEED(g_msix);
	iommu = iommu_present(g_msix);
	if (want && !strcmp(want, "1") && !iommu) {
		fprintf(stderr, "  USCHEME_EXPECT_IOMMU=1 but %s has no iommu_group\n", g_msix);
		return -1;
	}
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	fd = dma_alloc(fn, 2 * PAGE, &d);
	CHECK(fd >= 0);
	p = map(fd, 2 * PAGE, 0, MAP_SHARED);
	CHECK(p != NULL);
	p[0] = 1;
	p[PAGE] = 1;
	err = phys_of((const void *)p, &pa0);
	if (!err)
		err = phys_of((const void *)(p + PAGE), &pa1);
	if (err && err != -ENOENT) {
		fprintf(stderr, "  /proc/self/pagemap: %s\n", strerror(-err));
		return -1;
	}
	ram = in_system_ram(d.bus_addr, d.size);
	CHECK(ram >= 0);
	fprintf(stderr, "  %s: bus address %#" PRIx64 ", %s System RAM; physical %s%#" PRIx64 "\n",
		iommu ? "IOMMU" : "no IOMMU", (uint64_t)d.bus_addr, ram ? "in" : "outside",
		err ? "(pagemap shows none) " : "", pa0);
	if (iommu) {
		char grp[256], type[64];

		dev_path(grp, sizeof(grp), g_msix, "iommu_group/type");
		if (read_text(grp, type, sizeof(type)) > 0)
			fprintf(stderr, "  iommu_group type: %s\n", type);
		if (!err)
			CHECK(d.bus_addr != pa0);	/* an IOVA */
		else
			CHECK_EQ(ram, 0);		/* not a RAM address at all */
	} else {
		CHECK_EQ(ram, 1);
		if (!err) {
			CHECK_EQ(d.bus_addr, pa0);	/* dma-direct: bus = physical */
			CHECK_EQ(pa1, pa0 + PAGE);	/* coherent memory is contiguous */
		}
	}
	munmap((void *)p, 2 * PAGE);
	close(fd);
	close(fn);
	return 0;
}

