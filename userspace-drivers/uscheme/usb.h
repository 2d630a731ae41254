/* SPDX-License-Identifier: MIT */
/* uscheme lsusb (usb.c); returns an exit status. */
#ifndef USCHEME_USB_H
#define USCHEME_USB_H

/* argv: what follows "lsusb" ([-v] [SCHEME]), argc of them. */
int cmd_lsusb(int argc, char **argv);

#endif /* USCHEME_USB_H */
