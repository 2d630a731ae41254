#!/bin/sh
# Guest side of the main job.
{
	echo "\$ ls -l /dev/uscheme"; ls -l /dev/uscheme
	echo "\$ uscheme features"; uscheme features
	echo "\$ uscheme nop 100000 1"; uscheme nop 100000 1
	echo "\$ uscheme nop 100000 64"; uscheme nop 100000 64 &&
	echo "\$ cat /sys/class/misc/uscheme/rings  (live rings after the tool exited)" &&
	cat /sys/class/misc/uscheme/rings &&
	echo "demo: ok"
} >/dev/ttyS1 2>&1
