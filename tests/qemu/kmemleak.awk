# Sort a kmemleak report (the content of /sys/kernel/debug/kmemleak) into
# its objects, each an "unreferenced object ADDR (size N):" line and the
# indented lines under it. An object is
#   planted  with -v planted=1 only (init.sh's planted-leak step), when its
#            hex dump starts with "USCHEME PLANTED" (module/testing.c wrote it
#            there: the harness's own leak, which must be caught); without
#            it such an object is real, so nothing can hide a real verdict;
#   before   when it was allocated (the "jiffies N" of its comm line) more
#            than -v margin= jiffies (default 250) before -v since= (the
#            jiffies when the module was loaded): not the module's;
#   real     otherwise, and so is any line the parser does not understand.
# Real objects are printed verbatim (the console then holds "unreferenced
# object", which tests/lib/harness.sh's kernel_problems fails on); the others
# as one line each, without that phrase. The counts "REAL PLANTED BEFORE" go
# to the file named by -v counts=. Runs under busybox awk in the guest and is
# tested on the host by tests/selftest/harness-selftest.sh.
function flush(   i) {
	if (n == 0)
		return
	if (kind == "planted" || kind == "before") {
		nk[kind]++
		printf "USCHEME-VM: kmemleak: %s object (not counted as the module's): %s%s\n",
			kind, substr(lines[1], 21), (comm != "" ? " " comm : "")
	} else {
		nk["real"]++
		for (i = 1; i <= n; i++)
			print lines[i]
	}
	n = 0
	kind = ""
	comm = ""
}
BEGIN {
	n = 0
	nk["real"] = nk["planted"] = nk["before"] = 0
	if (margin == "")
		margin = 250
	before = -1
	if (since ~ /^[0-9]+$/)
		before = since - margin
}
{ sub(/\r$/, "") }
/^unreferenced object / {
	flush()
	n = 1
	lines[1] = $0
	kind = "real"
	next
}
/^[ \t]*$/ && n == 0 { next }
n == 0 {
	# text outside any object: not understood, so counted as a leak
	lines[++n] = $0
	kind = "real"
	flush()
	next
}
{
	lines[++n] = $0
	if ($0 ~ /^  comm "/) {
		comm = $0
		sub(/^ +/, "", comm)
		if (before >= 0 && match($0, /, jiffies [0-9]+/)) {
			j = substr($0, RSTART + 10, RLENGTH - 10) + 0
			if (j < before && kind == "real")
				kind = "before"
		}
	}
	if (planted == 1 && ($0 ~ /^    55 53 43 48 45 4d 45 20 50 4c 41 4e 54 45 44 / ||
	    $0 ~ /  USCHEME PLANTED/))
		kind = "planted"
}
END {
	flush()
	if (counts != "")
		print nk["real"], nk["planted"], nk["before"] > counts
}
