/* SPDX-License-Identifier: MIT */
/*
 * xHCI 1.2 register, TRB and context layouts: the numbers of the spec,
 * nothing else. Section numbers are the spec's.
 */
#ifndef XHCI_H
#define XHCI_H

#include <stdint.h>

/* 5.3 Capability registers (offsets from BAR0) */
#define XHCI_CAPLENGTH		0x00	/* byte; HCIVERSION at 0x02 */
#define XHCI_HCSPARAMS1		0x04
#define XHCI_HCSPARAMS2		0x08
#define XHCI_HCSPARAMS3		0x0c
#define XHCI_HCCPARAMS1		0x10
#define XHCI_DBOFF		0x14
#define XHCI_RTSOFF		0x18
#define XHCI_HCCPARAMS2		0x1c

#define HCS1_MAX_SLOTS(p)	((p) & 0xff)
#define HCS1_MAX_INTRS(p)	(((p) >> 8) & 0x7ff)
#define HCS1_MAX_PORTS(p)	(((p) >> 24) & 0xff)
#define HCS2_ERST_MAX(p)	(((p) >> 4) & 0xf)
#define HCS2_SPB_MAX(p)		((((p) >> 21) & 0x1f) << 5 | ((p) >> 27))
#define HCC1_AC64		(1u << 0)
#define HCC1_CSZ		(1u << 2)
#define HCC1_XECP(p)		(((p) >> 16) << 2)

/* 5.4 Operational registers (offsets from BAR0 + CAPLENGTH) */
#define XHCI_USBCMD		0x00
#define XHCI_USBSTS		0x04
#define XHCI_PAGESIZE		0x08
#define XHCI_DNCTRL		0x14
#define XHCI_CRCR		0x18	/* 64-bit */
#define XHCI_DCBAAP		0x30	/* 64-bit */
#define XHCI_CONFIG		0x38
#define XHCI_PORTSC(n)		(0x400 + 0x10 * ((n) - 1))	/* n: 1-based */

#define CMD_RUN			(1u << 0)
#define CMD_HCRST		(1u << 1)
#define CMD_INTE		(1u << 2)
#define CMD_HSEE		(1u << 3)

#define STS_HCH			(1u << 0)
#define STS_HSE			(1u << 2)
#define STS_EINT		(1u << 3)
#define STS_PCD			(1u << 4)
#define STS_CNR			(1u << 11)
#define STS_HCE			(1u << 12)

#define CRCR_RCS		(1u << 0)
#define CRCR_CRR		(1u << 3)

/* 5.4.8 PORTSC */
#define PORT_CCS		(1u << 0)
#define PORT_PED		(1u << 1)	/* write 1: disable. Never write it back. */
#define PORT_OCA		(1u << 3)
#define PORT_PR			(1u << 4)
#define PORT_PLS(p)		(((p) >> 5) & 0xf)
#define PORT_PP			(1u << 9)
#define PORT_SPEED(p)		(((p) >> 10) & 0xf)
#define PORT_LWS		(1u << 16)
#define PORT_CSC		(1u << 17)
#define PORT_PEC		(1u << 18)
#define PORT_WRC		(1u << 19)
#define PORT_OCC		(1u << 20)
#define PORT_PRC		(1u << 21)
#define PORT_PLC		(1u << 22)
#define PORT_CEC		(1u << 23)
#define PORT_WPR		(1u << 31)
/* The write-1-to-clear change bits. */
#define PORT_CHANGES		(PORT_CSC | PORT_PEC | PORT_WRC | PORT_OCC | \
				 PORT_PRC | PORT_PLC | PORT_CEC)
/*
 * What a read-modify-write of PORTSC must keep: power, the wake bits and
 * the link-state write strobe's neighbours; PED and every change bit are
 * dropped (writing them back would disable the port or clear a change).
 */
#define PORT_RW_KEEP		(PORT_PP | (7u << 25) /* WCE WDE WOE */ | (3u << 14) /* PIC */)

#define PLS_U0			0
#define PLS_RXDETECT		5
#define PLS_INACTIVE		6
#define PLS_POLLING		7
#define PLS_COMPLIANCE		10

/* 5.5 Runtime registers (offsets from BAR0 + RTSOFF); interrupter 0 */
#define XHCI_IR0		0x20
#define IR_IMAN			0x00
#define IR_IMOD			0x04
#define IR_ERSTSZ		0x08
#define IR_ERSTBA		0x10	/* 64-bit */
#define IR_ERDP			0x18	/* 64-bit */
#define IMAN_IP			(1u << 0)
#define IMAN_IE			(1u << 1)
#define ERDP_EHB		(1u << 3)

/* 7 Extended capabilities */
#define XECP_ID(v)		((v) & 0xff)
#define XECP_NEXT(v)		((((v) >> 8) & 0xff) << 2)
#define XECP_LEGACY		1
#define XECP_PROTOCOL		2
#define LEGSUP_BIOS_OWNED	(1u << 16)
#define LEGSUP_OS_OWNED		(1u << 24)
#define LEGCTLSTS_SMI_MASK	0xe01f	/* the SMI enables */

/* 6.4 TRBs */
struct trb {
	uint64_t param;
	uint32_t status;
	uint32_t control;
};
_Static_assert(sizeof(struct trb) == 16, "TRB layout");

#define TRB_CYCLE		(1u << 0)
#define TRB_ENT			(1u << 1)	/* evaluate next TRB */
#define TRB_TC			(1u << 1)	/* Link: toggle cycle */
#define TRB_ISP			(1u << 2)
#define TRB_CHAIN		(1u << 4)
#define TRB_IOC			(1u << 5)
#define TRB_IDT			(1u << 6)
#define TRB_BSR			(1u << 9)	/* Address Device: block SET_ADDRESS */
#define TRB_DIR_IN		(1u << 16)	/* Data stage */
#define TRB_TYPE(t)		((uint32_t)(t) << 10)
#define TRB_GET_TYPE(c)		(((c) >> 10) & 0x3f)
#define TRB_SLOT(s)		((uint32_t)(s) << 24)
#define TRB_GET_SLOT(c)		((c) >> 24)
#define TRB_EP(e)		((uint32_t)(e) << 16)
#define TRB_GET_EP(c)		(((c) >> 16) & 0x1f)
#define TRB_TRT_IN		(3u << 16)	/* Setup stage: IN data stage */
#define TRB_TRT_OUT		(2u << 16)
#define TRB_LEN(l)		((uint32_t)(l) & 0x1ffff)
#define TRB_TD_SIZE(n)		((uint32_t)((n) > 31 ? 31 : (n)) << 17)
#define TRB_INTR(i)		((uint32_t)(i) << 22)
#define EVT_CC(s)		((s) >> 24)
#define EVT_LEN(s)		((s) & 0xffffff)
#define EVT_ED			(1u << 2)

enum trb_type {
	TRB_NORMAL = 1, TRB_SETUP = 2, TRB_DATA = 3, TRB_STATUS = 4,
	TRB_LINK = 6, TRB_NOOP = 8,
	TRB_ENABLE_SLOT = 9, TRB_DISABLE_SLOT = 10, TRB_ADDRESS_DEV = 11,
	TRB_CONFIG_EP = 12, TRB_EVAL_CTX = 13, TRB_RESET_EP = 14,
	TRB_STOP_EP = 15, TRB_SET_TR_DEQ = 16, TRB_RESET_DEV = 17,
	TRB_NOOP_CMD = 23,
	TRB_EV_TRANSFER = 32, TRB_EV_CMD = 33, TRB_EV_PORT = 34,
	TRB_EV_HC = 37,
};

/* 6.4.5 completion codes */
enum trb_cc {
	CC_INVALID = 0, CC_SUCCESS = 1, CC_DATA_BUFFER = 2, CC_BABBLE = 3,
	CC_TRANSACTION = 4, CC_TRB = 5, CC_STALL = 6, CC_RESOURCE = 7,
	CC_BANDWIDTH = 8, CC_NO_SLOTS = 9, CC_SLOT_NOT_ENABLED = 11,
	CC_EP_NOT_ENABLED = 12, CC_SHORT_PACKET = 13, CC_CTX_STATE = 19,
	CC_EVENT_RING_FULL = 21, CC_CMD_ABORTED = 25, CC_STOPPED = 26,
	CC_STOPPED_LEN_INVALID = 27, CC_STOPPED_SHORT = 28,
};

/* 6.2 Contexts: 32-byte words; 64-byte contexts (CSZ) double the stride */
#define CTX_SLOT_ENTRIES(n)	((uint32_t)(n) << 27)
#define CTX_SLOT_SPEED(s)	((uint32_t)(s) << 20)
#define CTX_SLOT_PORT(p)	((uint32_t)(p) << 16)	/* dword 1 */
#define CTX_SLOT_STATE(d3)	((d3) >> 27)
#define CTX_EP_STATE(d0)	((d0) & 7)
#define CTX_EP_INTERVAL(i)	((uint32_t)(i) << 16)
#define CTX_EP_CERR(c)		((uint32_t)(c) << 1)
#define CTX_EP_TYPE(t)		((uint32_t)(t) << 3)
#define CTX_EP_BURST(b)		((uint32_t)(b) << 8)
#define CTX_EP_MPS(m)		((uint32_t)(m) << 16)
#define CTX_EP_AVG_TRB(l)	((uint32_t)(l))
#define CTX_EP_MAX_ESIT_LO(l)	((uint32_t)(l) << 16)
#define CTX_EP_DCS		1u

enum ep_ctx_type {
	EPT_ISOC_OUT = 1, EPT_BULK_OUT = 2, EPT_INT_OUT = 3, EPT_CONTROL = 4,
	EPT_ISOC_IN = 5, EPT_BULK_IN = 6, EPT_INT_IN = 7,
};

enum ep_state {
	EPS_DISABLED = 0, EPS_RUNNING = 1, EPS_HALTED = 2, EPS_STOPPED = 3,
	EPS_ERROR = 4,
};

/* USB 2.0 chapter 9 */
#define USB_DT_DEVICE		1
#define USB_DT_CONFIG		2
#define USB_DT_STRING		3
#define USB_DT_INTERFACE	4
#define USB_DT_ENDPOINT		5
#define USB_DT_SS_EP_COMP	0x30
#define USB_REQ_GET_STATUS	0
#define USB_REQ_CLEAR_FEATURE	1
#define USB_REQ_SET_FEATURE	3
#define USB_REQ_SET_ADDRESS	5
#define USB_REQ_GET_DESCRIPTOR	6
#define USB_REQ_SET_CONFIGURATION 9
#define USB_REQ_SET_INTERFACE	11
#define USB_FEATURE_ENDPOINT_HALT 0

#endif /* XHCI_H */
