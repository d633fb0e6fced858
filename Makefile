# mctx: GNU make build.  `make` builds build/mctxd and build/mctx;
# `make test` builds an ASan+UBSan tree under build/asan and runs every test;
# `make demo` runs the two-unit lab; `make deps` installs Debian packages.

CC       ?= cc
PKGS     := libnl-3.0 libnl-route-3.0 libnetfilter_conntrack libnftables \
            sqlite3 libconfig libedit libcrypto
TEST_PKGS := cmocka
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
               -Wstrict-prototypes -Wmissing-prototypes -D_GNU_SOURCE -I. -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lsctp
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

SRC_DIRS := system contexts failover replication vpn
MAINS    := system/mctxd.c system/mctx.c
LIB_SRCS := $(filter-out $(MAINS),$(sort $(wildcard $(addsuffix /*.c,$(SRC_DIRS)))))
GEN_SRCS := build/gen/flash_schema.c
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

# Two trees: release (build/) and sanitized (build/asan/).
REL  := build
ASAN := build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all deps test unit lab demo fuzz clean vm-test bench
all: $(REL)/mctxd $(REL)/mctx

# ---- generated: flash schema migrations embedded as C strings ----
build/gen/flash_schema.c: $(sort $(wildcard schemas/flash/*.sql)) tools/embed_sql.sh
	@mkdir -p $(@D)
	sh tools/embed_sql.sh $(sort $(wildcard schemas/flash/*.sql)) > $@.tmp && mv $@.tmp $@

define tree
$(1)/obj/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_BASE) $(2) $$(PKG_CFLAGS) -MMD -MP -c $$< -o $$@
$(1)/obj/gen/%.o: build/gen/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_BASE) $(2) -c $$< -o $$@
$(1)/libmctx.a: $$(patsubst %.c,$(1)/obj/%.o,$$(LIB_SRCS)) $$(patsubst build/gen/%.c,$(1)/obj/gen/%.o,$$(GEN_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/mctxd: $(1)/obj/system/mctxd.o $(1)/libmctx.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS)
$(1)/mctx: $(1)/obj/system/mctx.o $(1)/libmctx.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS)
endef

$(eval $(call tree,$(REL),-O2))
$(eval $(call tree,$(ASAN),-O1 $(SAN_FLAGS)))

UNIT_BINS := $(patsubst tests/unit/%.c,$(ASAN)/tests/%,$(UNIT_SRCS))
$(ASAN)/tests/%: tests/unit/%.c $(ASAN)/libmctx.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O1 $(SAN_FLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(ASAN)/libmctx.a $(PKG_LIBS) $(TEST_LIBS)

-include $(shell find build -name '*.d' 2>/dev/null)

deps:
	@sh tools/deps.sh

# Every test: unit tests (cmocka) then lab tests; prints "N passed, N failed".
test: deps
	$(MAKE) --no-print-directory $(REL)/mctxd $(REL)/mctx $(ASAN)/mctxd $(ASAN)/mctx $(UNIT_BINS)
	@sh tests/run.sh $(ASAN)

unit: $(UNIT_BINS)
	@sh tests/run.sh $(ASAN) unit

demo: deps
	$(MAKE) --no-print-directory all
	@sh tests/lab/demo.sh $(REL)

fuzz:
	@sh tests/fuzz/run.sh

# The failover link over real SCTP: boots Debian's kernel under qemu.
vm-test: deps
	$(MAKE) --no-print-directory $(REL)/mctxd $(REL)/mctx $(ASAN)/tests/test_fo_link
	@sh tests/run.sh $(ASAN) vm

# Benchmarks print "name value unit" lines; each exits non-zero only when
# it could not run.
bench: deps all
	@for b in bench/*; do [ -f "$$b" ] && [ -x "$$b" ] && "$$b"; done; true

clean:
	rm -rf build
