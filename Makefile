# libringbuf — plain make. `make` builds everything, `make test` runs the
# suite in three builds (plain, ASan+UBSan, TSan), `make run` runs the main
# job (the benchmark), `make install PREFIX=...` installs.
VERSION   := 0.2.0
SOVERSION := 0
PREFIX    ?= /usr/local
LIBDIR    ?= $(PREFIX)/lib
INCDIR    ?= $(PREFIX)/include
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
COMPDIR   ?= $(PREFIX)/share/bash-completion/completions
CC        ?= cc
CLANG     ?= clang
BUILD     ?= build
SAN       ?=

CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes \
             -Wstrict-prototypes -Wno-missing-field-initializers
BASE      := -std=gnu11 -D_GNU_SOURCE -Iinclude -pthread
ifeq ($(SAN),asan)
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SAN),tsan)
SANFLAGS  := -fsanitize=thread -fno-omit-frame-pointer
endif
ALL_CFLAGS = $(BASE) $(WARN) $(CFLAGS) $(SANFLAGS)
LDLIBS    := -pthread

LIB_SRCS  := $(wildcard src/*.c)
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB_HDRS  := $(wildcard src/*.h include/*.h)
TESTLIB_SRCS := $(wildcard test/lib/*.c)
TESTLIB_HDRS := $(wildcard test/lib/*.h)
TESTLIB   := $(BUILD)/libtestutil.a
TESTS     := $(patsubst test/%.c,$(BUILD)/test/%,$(wildcard test/*.c))
EXAMPLES  := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
TOOL_SRCS := $(wildcard tools/*.c) $(wildcard bench/*.c)
TOOL_HDRS := $(wildcard tools/*.h tools/*.def bench/*.h) test/lib/bpfasm.h
FUZZERS   := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard fuzz/*.c))

STATIC    := $(BUILD)/libringbuf.a
# Every object with its internal (hidden) symbols still linkable: for the
# white-box tests and the test helpers. Never installed.
INTERNAL  := $(BUILD)/libringbuf-internal.a
SHARED    := $(BUILD)/libringbuf.so.$(VERSION)
TOOL      := $(BUILD)/ringbuf

.PHONY: all lib tests examples tool fuzzers test check run install uninstall clean deps model bench-quick layers
all: lib tool examples tests

lib: $(STATIC) $(SHARED) $(BUILD)/libringbuf.pc
tests: $(TESTS)
examples: $(EXAMPLES)
tool: $(TOOL)

$(BUILD)/obj/%.o: src/%.c $(LIB_HDRS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

# The installed archive holds one relocatable object whose hidden symbols
# are made local: like the .so, it exports ringbuf_* and nothing else, so
# no internal rb_* name can collide with a program's own.
$(STATIC): $(LIB_OBJS)
	@rm -f $@
	$(LD) -r -o $(BUILD)/obj/libringbuf.o $^
	objcopy --localize-hidden $(BUILD)/obj/libringbuf.o
	$(AR) rcs $@ $(BUILD)/obj/libringbuf.o

$(INTERNAL): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJS) src/libringbuf.map
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libringbuf.so.$(SOVERSION) \
		-Wl,--version-script=src/libringbuf.map -Wl,-z,defs -o $@ $(LIB_OBJS) $(LDLIBS)
	ln -sf libringbuf.so.$(VERSION) $(BUILD)/libringbuf.so.$(SOVERSION)
	ln -sf libringbuf.so.$(VERSION) $(BUILD)/libringbuf.so

$(BUILD)/libringbuf.pc: libringbuf.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' $< > $@

# The test helpers, compiled once per build.
$(BUILD)/testobj/%.o: test/lib/%.c $(TESTLIB_HDRS) $(LIB_HDRS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itest/lib -c $< -o $@

$(TESTLIB): $(TESTLIB_SRCS:test/lib/%.c=$(BUILD)/testobj/%.o)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/test/%: test/%.c $(TESTLIB) $(TESTLIB_HDRS) $(INTERNAL)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itest/lib -o $@ $< $(TESTLIB) $(INTERNAL) $(LDLIBS)

# Examples link the archive a user installs, so they show only what the
# public API can do.
EXAMPLE_LIB = $(STATIC)
$(BUILD)/examples/%: examples/%.c $(EXAMPLE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(EXAMPLE_LIB) $(LDLIBS) $(EXAMPLE_LIBS_$*)
# The BPF example loads its program with libbpf: built where libbpf is.
EXAMPLE_LIBS_bpf_tracepoint := -lbpf
ifeq ($(wildcard /usr/include/bpf/libbpf.h),)
EXAMPLES  := $(filter-out %/bpf_tracepoint,$(EXAMPLES))
endif

# The benchmark drains the kernel anchor with libbpf too when it is there.
ifneq ($(wildcard /usr/include/bpf/libbpf.h),)
TOOL_LIBBPF := -DHAVE_LIBBPF
TOOL_LDLIBS := -lbpf
endif
# `ringbuf ship`'s sinks, each when its client library is there (without
# it, `ship` to that scheme says so). The test helpers that talk to the same
# brokers (test/helpers/) are built along.
ifneq ($(wildcard /usr/include/nats/nats.h),)
TOOL_LIBBPF += -DHAVE_NATS
TOOL_LDLIBS += -lnats
HELPERS   += $(BUILD)/helpers/nats_read
endif
ifneq ($(wildcard /usr/include/librdkafka/rdkafka_mock.h),)
TOOL_LIBBPF += -DHAVE_RDKAFKA
TOOL_LDLIBS += -lrdkafka
HELPERS   += $(BUILD)/helpers/kafka_mock
endif
HELPERS   += $(BUILD)/helpers/bpf_ringbuf_pin
tool: $(HELPERS)
$(BUILD)/helpers/bpf_ringbuf_pin: $(TESTLIB)
$(BUILD)/helpers/bpf_ringbuf_pin: HELPER_LIBS := -Itest/lib $(TESTLIB)
$(BUILD)/helpers/nats_read: HELPER_LIBS := -lnats
$(BUILD)/helpers/kafka_mock: HELPER_LIBS := -lrdkafka
$(BUILD)/helpers/%: test/helpers/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(HELPER_LIBS) $(LDLIBS)

# The ftrace rows read with Debian's libtracefs too when it is there.
ifneq ($(wildcard /usr/include/tracefs/tracefs.h),)
TOOL_LIBBPF += -DHAVE_LIBTRACEFS $(shell pkg-config --cflags libtracefs 2>/dev/null || echo -I/usr/include/tracefs -I/usr/include/traceevent)
TOOL_LDLIBS += -ltracefs -ltraceevent
endif
# The tool: its own files and the public library, as a user links it (the
# archive whose internals are hidden), nothing of the test helpers.
$(TOOL): $(TOOL_SRCS) $(TOOL_HDRS) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TOOL_LIBBPF) -Itools -Ibench -o $@ $(TOOL_SRCS) $(STATIC) $(LDLIBS) -ldl $(TOOL_LDLIBS)

# libFuzzer targets: clang, ASan+UBSan, the library sources compiled in.
$(BUILD)/fuzz/%: fuzz/%.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BASE) -Isrc -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRCS)
fuzzers: $(FUZZERS)

# The whole suite: three builds, one runner, one closing line.
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
test: deps
	$(MAKE) -j$(JOBS) BUILD=build all
	$(MAKE) -j$(JOBS) BUILD=build/asan SAN=asan tests tool
	$(MAKE) -j$(JOBS) BUILD=build/tsan SAN=tsan tests tool
	$(MAKE) -j$(JOBS) BUILD=build fuzzers
	test/run.sh build build/asan build/tsan

# Only the plain build (quick iteration).
check: tests tool
	test/run.sh $(BUILD)

model:
	$(MAKE) -C model check

# No call cycle between the files of src/ (from each object's defined and
# undefined symbols; test/run.sh runs the same check on build/obj).
layers: $(LIB_OBJS)
	test/check/layers.sh $(BUILD)/obj

run: deps tool
	$(TOOL) bench

# About 10 s: record sizes 8 and 1024, one round (test/bench_quick.sh
# checks that it prints every row).
bench-quick: deps tool
	$(TOOL) bench --quick

deps:
	@.ci/deps

install: lib tool
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libringbuf.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libringbuf.so.$(SOVERSION)
	ln -sf libringbuf.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libringbuf.so
	install -m 644 include/ringbuf.h include/ringbuf_format.h $(DESTDIR)$(INCDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' \
		libringbuf.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libringbuf.pc
	install -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/
	for m in man/*.1; do [ -f "$$m" ] && install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/ || true; done
	# In the tree a link page says ".so man/PAGE.3" (man -l from the top of
	# the tree finds it); installed, its target is man3/PAGE.3.
	for m in man/*.3; do [ -f "$$m" ] && sed 's|^\.so man/|.so man3/|' $$m > $(DESTDIR)$(MANDIR)/man3/$${m#man/} && \
		chmod 644 $(DESTDIR)$(MANDIR)/man3/$${m#man/} || true; done
	install -d $(DESTDIR)$(COMPDIR)
	install -m 644 completion/ringbuf $(DESTDIR)$(COMPDIR)/ringbuf

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libringbuf.* $(DESTDIR)$(LIBDIR)/pkgconfig/libringbuf.pc \
		$(DESTDIR)$(INCDIR)/ringbuf.h $(DESTDIR)$(INCDIR)/ringbuf_format.h $(DESTDIR)$(BINDIR)/ringbuf
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/man1/%,$(wildcard man/*.1)) \
		$(patsubst man/%,$(DESTDIR)$(MANDIR)/man3/%,$(wildcard man/*.3)) \
		$(DESTDIR)$(COMPDIR)/ringbuf

clean:
	rm -rf build

# ---- Python binding (python/, issue 14): `make python` builds the module
# ringbuf for the system Python (python3-dev), with the library linked in
# statically; `make install` puts it where that Python finds it. The whole
# block is skipped in `all` when Python's headers are missing.
PYTHON    ?= $(firstword $(wildcard /usr/bin/python3) python3)
PY_INC    := $(firstword $(wildcard /usr/include/python3*/Python.h))
PY_MOD    := $(BUILD)/python/ringbuf.so
PY_FEEDER := $(BUILD)/helpers/bpf_feeder
# Debian's Python looks in /usr/lib/python3/dist-packages for PREFIX=/usr and
# in PREFIX/lib/python3.X/dist-packages for any other prefix (/usr/local).
PYTHON_SITEDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)/dist-packages)
.PHONY: python install-python uninstall-python python-bench
python: $(PY_MOD) $(PY_FEEDER)
ifneq ($(PY_INC),)
all: python
install: install-python
uninstall: uninstall-python
# The ASan+UBSan build tests the module too (test/python.sh preloads libasan).
ifeq ($(SAN),asan)
tests: python
endif
endif
PY_SRCS := $(wildcard python/*.c)
$(PY_MOD): $(PY_SRCS) python/binding.h $(STATIC) include/ringbuf.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -shared \
		$$($(PYTHON) -c 'import sysconfig; print("-I" + sysconfig.get_paths()["include"])') \
		-o $@ $(PY_SRCS) $(STATIC) $(LDLIBS)
	cp python/ringbuf.pyi $(@D)/
# A kernel BPF ring and its producer for the Python tests and the example
# (built by the test/helpers rule).
$(PY_FEEDER): $(TESTLIB)
$(PY_FEEDER): HELPER_LIBS := -Itest/lib $(TESTLIB)
install-python: $(PY_MOD)
	install -d $(DESTDIR)$(PYTHON_SITEDIR)
	install -m 644 $(PY_MOD) $(DESTDIR)$(PYTHON_SITEDIR)/ringbuf$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
	install -m 644 python/ringbuf.pyi $(DESTDIR)$(PYTHON_SITEDIR)/
python-bench: python
	PYTHONPATH=$(BUILD)/python $(PYTHON) bench/python_bench.py
uninstall-python:
	rm -f $(DESTDIR)$(PYTHON_SITEDIR)/ringbuf.*.so $(DESTDIR)$(PYTHON_SITEDIR)/ringbuf.pyi
