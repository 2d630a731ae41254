// SPDX-License-Identifier: MIT
/*
 * usbscsid's request path (usbscsid/main.c and bot.c) on the host, with a
 * hostile device played by hand: main.c is compiled into this test whole
 * (its statics reachable), the reactor's SQE source and the daemon's
 * replies replaced with the linker's --wrap (usbscsid.mk), so each test
 * completes usbscsid's transfers itself and checks the one answer the
 * client gets. Under valgrind in tests/run-all.sh.
 *
 * The cases came from an attack on the first version: a READ answered in
 * full after a RECOVERED ERROR with no data, a second answer (and a crash)
 * when the SQ was full, a raw disk any user could open.
 */
#define main usbscsid_main
#include "../../../userspace-drivers/usbscsid/main.c"
#undef main

#include "../../lib/tap.h"

#define MAX_UD 256

static struct uscheme_sqe sqes[MAX_UD];
static struct us_op *ops_by_ud[MAX_UD];
static uint64_t next_ud;
static bool sq_full;
static uint64_t last_tag;
static int last_res, replies;

struct uscheme_sqe *__wrap_us_reactor_sqe(struct us_reactor *rx, struct us_op *op);
struct uscheme_sqe *__wrap_us_reactor_sqe(struct us_reactor *rx, struct us_op *op)
{
	struct uscheme_sqe *sqe;

	(void)rx;
	if (sq_full || next_ud + 1 >= MAX_UD)
		return NULL;
	sqe = &sqes[++next_ud];
	memset(sqe, 0, sizeof(*sqe));
	sqe->user_data = next_ud;
	ops_by_ud[next_ud] = op;
	return sqe;
}

int __wrap_us_reply(struct us_daemon *d, uint64_t tag, int res);
int __wrap_us_reply(struct us_daemon *d, uint64_t tag, int res)
{
	(void)d;
	last_tag = tag;
	last_res = res;
	replies++;
	return 0;
}

void __wrap_us_daemon_stop(struct us_daemon *d);
void __wrap_us_daemon_stop(struct us_daemon *d)
{
	(void)d;
}

/* The device answers transfer ud with res (bytes, or -errno). */
static int complete(uint64_t ud, int res)
{
	struct uscheme_cqe cqe = { .user_data = ud, .res = res };
	struct us_op *op;

	if (ud == 0 || ud > next_ud || !ops_by_ud[ud]) {
		fprintf(stderr, "  no transfer %llu in flight\n", (unsigned long long)ud);
		return -1;
	}
	op = ops_by_ud[ud];
	ops_by_ud[ud] = NULL;
	op->complete(NULL, op, &cqe);
	return 0;
}

static void put_csw(uint8_t *csw, uint32_t tag, uint32_t residue, uint8_t status)
{
	uint32_t sig = BOT_CSW_SIG;

	memcpy(csw, &sig, 4);
	memcpy(csw + 4, &tag, 4);
	memcpy(csw + 8, &residue, 4);
	csw[12] = status;
}

static struct us_daemon fake_d;

static void setup(void)
{
	memset(sqes, 0, sizeof(sqes));
	memset(ops_by_ud, 0, sizeof(ops_by_ud));
	next_ud = 0;
	sq_full = false;
	replies = 0;
	last_res = 0;
	last_tag = 0;
	memset(&the_dev, 0, sizeof(the_dev));
	the_dev.d = &fake_d;
	the_dev.nluns = 1;
	the_dev.ready = true;
	the_dev.lun[0] = (struct lun){ .present = true, .bs = 512, .blocks = 2048,
				       .size = 2048 * 512, .max_io = USBSCSID_MAX_IO };
	bot_init(&the_dev);
}

/* A READ whose CBW, data and good CSW arrive: one answer, the full length. */
static int t_read_good(void)
{
	static uint8_t buf[4096];
	struct uscheme_req req = { .tag = 77 };
	struct handle h = { .kind = H_LUN, .lun = 0 };
	struct io *io;

	setup();
	CHECK_EQ(h_read(NULL, &req, &h, buf, sizeof(buf), 0), US_DEFER);
	io = ios;
	CHECK(io);
	CHECK_EQ(complete(1, BOT_CBW_LEN), 0);
	CHECK_EQ(complete(2, sizeof(buf)), 0);
	put_csw(io->cmd.csw, io->cmd.tag, 0, CSW_GOOD);
	CHECK_EQ(complete(3, BOT_CSW_LEN), 0);
	CHECK_EQ(replies, 1);
	CHECK_EQ(last_tag, 77);
	CHECK_EQ(last_res, (int)sizeof(buf));
	CHECK(!ios);
	return 0;
}

/*
 * The data stage STALLs (nothing arrives), the CSW says FAILED with all of
 * it as residue, REQUEST SENSE says RECOVERED ERROR: the READ fails -EIO,
 * never answers bytes the device did not send.
 */
static int t_recovered_no_data(void)
{
	static uint8_t buf[4096];
	static const uint8_t sense[18] = { 0x70, 0, 0x01 /* RECOVERED ERROR */, 0, 0, 0, 0, 10 };
	struct uscheme_req req = { .tag = 78 };
	struct handle h = { .kind = H_LUN, .lun = 0 };
	struct io *io;

	setup();
	CHECK_EQ(h_read(NULL, &req, &h, buf, sizeof(buf), 0), US_DEFER);
	io = ios;
	CHECK_EQ(complete(1, BOT_CBW_LEN), 0);
	CHECK_EQ(complete(2, -EPIPE), 0);	/* data stage STALLed: nothing arrived */
	put_csw(io->cmd.csw, io->cmd.tag, sizeof(buf), CSW_FAILED);
	CHECK_EQ(complete(3, BOT_CSW_LEN), 0);	/* -> REQUEST SENSE */
	CHECK_EQ(replies, 0);
	CHECK_EQ(complete(4, BOT_CBW_LEN), 0);
	memcpy(io->sense, sense, sizeof(sense));
	CHECK_EQ(complete(5, sizeof(sense)), 0);
	put_csw(io->sense_cmd.csw, io->sense_cmd.tag, 0, CSW_GOOD);
	CHECK_EQ(complete(6, BOT_CSW_LEN), 0);
	CHECK_EQ(replies, 1);
	CHECK_EQ(last_tag, 78);
	CHECK_EQ(last_res, -EIO);
	return 0;
}

/*
 * A READ of two commands; when the first one's CSW arrives the SQ is full,
 * so neither the second command nor Reset Recovery can start: exactly one
 * answer, an error, and no crash.
 */
static int t_sq_full(void)
{
	static uint8_t buf[1024];
	struct uscheme_req req = { .tag = 79 };
	struct handle h = { .kind = H_LUN, .lun = 0 };
	struct io *io;

	setup();
	the_dev.lun[0].max_io = 512;
	CHECK_EQ(h_read(NULL, &req, &h, buf, sizeof(buf), 0), US_DEFER);
	io = ios;
	CHECK_EQ(complete(1, BOT_CBW_LEN), 0);
	CHECK_EQ(complete(2, 512), 0);
	put_csw(io->cmd.csw, io->cmd.tag, 0, CSW_GOOD);
	sq_full = true;
	CHECK_EQ(complete(3, BOT_CSW_LEN), 0);
	CHECK_EQ(replies, 1);
	CHECK_EQ(last_tag, 79);
	CHECK(last_res < 0);
	return 0;
}

/* A LUN is root's: uid 65534 is refused every mode; root and the listing open. */
static int t_lun_root_only(void)
{
	struct uscheme_req req = { .tag = 80, .uid = 65534, .gid = 65534, .op_flags = O_RDWR };
	void *state = NULL;

	setup();
	CHECK_EQ(h_open(NULL, &req, "0", &state), -EACCES);
	req.op_flags = O_RDONLY;
	CHECK_EQ(h_open(NULL, &req, "0", &state), -EACCES);
	CHECK(!state);
	CHECK_EQ(h_open(NULL, &req, "", &state), 0);	/* the listing */
	CHECK(state);
	free(state);
	state = NULL;
	req.uid = 0;
	req.op_flags = O_RDWR;
	CHECK_EQ(h_open(NULL, &req, "0", &state), 0);
	CHECK(state);
	free(state);
	return 0;
}

static const struct tap_test tests[] = {
	{ "read_good", t_read_good, 10 },
	{ "recovered_no_data", t_recovered_no_data, 10 },
	{ "sq_full", t_sq_full, 10 },
	{ "lun_root_only", t_lun_root_only, 10 },
};

int main(int argc, char **argv)
{
	return tap_run("usbscsid_io", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
