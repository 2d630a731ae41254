// SPDX-License-Identifier: MIT
/*
 * DMA memory: 4 MiB buffers from the channel (DUP "dma/SIZE"), taken as
 * needed up to XHCID_DMA_CHUNKS, carved into contiguous runs of pages
 * (first fit over a bitmap). Every TRB ring, context and bounce buffer
 * comes from here, so every bus address xhcid hands the controller is one
 * the kernel mapped for this function.
 *
 * Alignment: runs start on a page, which satisfies every xHCI rule
 * (contexts 64 bytes, rings 64 bytes and no 64 KiB crossing within a
 * segment of one page, DCBAA 64 bytes, scratchpads a page).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xhcid.h"

#define CHUNK_PAGES	(XHCID_DMA_CHUNK / XHCID_PAGE)

struct dma_chunk {
	struct pcidrv_dma dma;
	uint8_t used[CHUNK_PAGES];	/* 1 per page in use */
	uint32_t free_pages;
};

struct dma_pool {
	int channel;
	bool addr64;
	unsigned int nchunks;
	struct dma_chunk *chunk[XHCID_DMA_CHUNKS];
};

int dma_pool_init(struct dma_pool **pool, int channel, bool addr64)
{
	struct dma_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->channel = channel;
	p->addr64 = addr64;
	*pool = p;
	return 0;
}

void dma_pool_free(struct dma_pool *p)
{
	unsigned int i;

	if (!p)
		return;
	for (i = 0; i < p->nchunks; i++) {
		pcidrv_dma_free(&p->chunk[i]->dma);
		free(p->chunk[i]);
	}
	free(p);
}

size_t dma_pool_bytes(const struct dma_pool *p)
{
	return (size_t)p->nchunks * XHCID_DMA_CHUNK;
}

static int chunk_add(struct dma_pool *p)
{
	struct dma_chunk *c;
	int err;

	if (p->nchunks == XHCID_DMA_CHUNKS)
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = pcidrv_dma_alloc(p->channel, XHCID_DMA_CHUNK, &c->dma);
	if (err) {
		free(c);
		return err;
	}
	/* A controller without AC64 cannot reach memory above 4 GiB. */
	if (c->dma.size < XHCID_DMA_CHUNK ||
	    (!p->addr64 && c->dma.bus + c->dma.size > (1ull << 32))) {
		pcidrv_dma_free(&c->dma);
		free(c);
		return -ENOMEM;
	}
	c->free_pages = CHUNK_PAGES;
	p->chunk[p->nchunks++] = c;
	return 0;
}

static int chunk_find(struct dma_chunk *c, uint32_t pages)
{
	uint32_t i, run = 0;

	if (c->free_pages < pages)
		return -1;
	for (i = 0; i < CHUNK_PAGES; i++) {
		run = c->used[i] ? 0 : run + 1;
		if (run == pages)
			return (int)(i + 1 - pages);
	}
	return -1;
}

int dma_get(struct dma_pool *p, size_t size, struct dma_span *out)
{
	uint32_t pages = (uint32_t)((size + XHCID_PAGE - 1) / XHCID_PAGE);
	unsigned int i;
	int first, err;

	memset(out, 0, sizeof(*out));
	if (!pages || pages > CHUNK_PAGES)
		return -EINVAL;
	for (;;) {
		for (i = 0; i < p->nchunks; i++) {
			struct dma_chunk *c = p->chunk[i];

			first = chunk_find(c, pages);
			if (first < 0)
				continue;
			memset(c->used + first, 1, pages);
			c->free_pages -= pages;
			out->chunk = (uint16_t)i;
			out->first = (uint32_t)first;
			out->size = (size_t)pages * XHCID_PAGE;
			out->map = (char *)c->dma.map + (size_t)first * XHCID_PAGE;
			out->bus = c->dma.bus + (uint64_t)first * XHCID_PAGE;
			memset(out->map, 0, out->size);
			return 0;
		}
		err = chunk_add(p);
		if (err)
			return err;
	}
}

void dma_put(struct dma_pool *p, struct dma_span *s)
{
	struct dma_chunk *c;
	uint32_t pages;

	if (!s->size)
		return;
	c = p->chunk[s->chunk];
	pages = (uint32_t)(s->size / XHCID_PAGE);
	memset(c->used + s->first, 0, pages);
	c->free_pages += pages;
	memset(s, 0, sizeof(*s));
}
