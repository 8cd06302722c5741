# The host version of b_policy (bench/policycost_host.c), included by the
# top Makefile: one program per policy, with the policy's C file compiled
# in, in build/bench/policycost_host_NAME.
#
#   make policycost-host      build them all and run them (BENCH lines)
#   POLICYCOST_HOST_RUN_ARGS=256   their arguments (MAXN: sizes up to 256)

HOSTCC ?= gcc
POLICYCOST_HOST_RUN_ARGS ?=
POLICYCOST_HOST_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -I. -Isched_abi -Ibench \
	-DSCHED_BUILTIN_OPS=policy_under_test
POLICYCOST_HOST_BINS := $(SCHED_POLICIES:%=$(BUILD)/bench/policycost_host_%)

define POLICYCOST_HOST_RULE
$(BUILD)/bench/policycost_host_$(1): bench/policycost_host.c bench/policycost_workload.h \
		sched_impls/$(1)/$(1).c $(SCHED_ABI_HEADERS) bench/policycost.mk
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	@$$(HOSTCC) $$(POLICYCOST_HOST_CFLAGS) -DPOLICY_SOURCE='"sched_impls/$(1)/$(1).c"' \
		-o $$@ bench/policycost_host.c
endef
$(foreach p,$(SCHED_POLICIES),$(eval $(call POLICYCOST_HOST_RULE,$(p))))

.PHONY: policycost-host
policycost-host: $(POLICYCOST_HOST_BINS)
	@for b in $(POLICYCOST_HOST_BINS); do $$b $(POLICYCOST_HOST_RUN_ARGS) || exit 1; done
