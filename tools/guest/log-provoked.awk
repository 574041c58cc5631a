# Drops from a kernel log the stack dumps a test provoked on purpose, so
# that the log check (tools/guest/log-patterns) judges the rest: between
# the lines "cgshare-selftest: provoked allocation failures begin" and
# "... end" (selftests/faults.c's load sweep), a "Call Trace:" whose first
# frames are the fault injector's (should_fail_ex) or an allocator's
# report of a failure it was made to have (warn_alloc, pcpu_alloc,
# __kmem_cache_create_args). Every other line is kept: a WARNING:, BUG:,
# KASAN, lockdep or kmemleak report there still fails the run.
# Used by tools/lib.sh (the whole log) and selftests/run-guest.sh (each
# test's part).
/cgshare-selftest: provoked allocation failures begin/ { on = 1 }
/cgshare-selftest: provoked allocation failures end/ { on = 0 }
held != "" {
	if (/ (should_fail_ex|warn_alloc|pcpu_alloc[a-z_]*|__kmem_cache_create_args)\+0x/) {
		held = ""
	} else if (--look == 0) {
		print held
		held = ""
	}
}
on && /Call Trace:/ { held = $0; look = 5; next }
{ print }
END { if (held != "") print held }
