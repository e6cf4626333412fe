# panel-backup - one non-recursive Makefile.
#
#   make            build bin/ and the tests (warning-free, -O2)
#   make sanitize   the same with AddressSanitizer and UBSan
#   make deps       install every package needed to build and test
#   make test       build (sanitized when SAN=1), start nothing, run tests
#   make run        a local Redis, the daemons, one real backup of a demo user
#   make bench      benchmarks against pigz/zstd/tar and friends
#   make bare-check the README commands in a fresh debootstrapped Debian 12
#
# Objects go to build/<flavor>/; every .c of a module folder is part of the
# library except *_main.c, which are the programs.
#
# The public targets first install what is missing (scripts/deps.sh run:
# build and runtime packages; deps.sh test: the test stack too) and then
# build in a second make: this Makefile reads pkg-config when it is parsed,
# and on a bare machine pkg-config and the -dev packages only exist once
# deps.sh has run.  The second make works on the internal targets build
# (programs and tests), programs and test-only, which install nothing.

CC	?= gcc
CXX	?= g++
SAN	?= 0
FLAVOR	:= $(if $(filter 1,$(SAN)),san,opt)
OBJDIR	:= build/$(FLAVOR)

PKGS	:= hiredis jansson libarchive libzstd zlib libcurl libssh2 libsodium \
	   libdeflate libcrypto re2 gpgme expat libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN	:= -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	   -Wpointer-arith -Wvla -Wimplicit-fallthrough -Wformat=2 \
	   -Wno-unused-parameter
CFLAGS	?= -O2 -g
ifeq ($(SAN),1)
CFLAGS	:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif
# The one C++ file (worker/re2_wrap.cc, RE2 behind a C API) gets the C
# warnings that also exist in C++.
CXXWARN	:= -Wall -Wextra -Wshadow -Wpointer-arith -Wvla \
	   -Wimplicit-fallthrough -Wformat=2 -Wno-unused-parameter
ALL_CXXFLAGS := -std=gnu++17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread \
	   $(CXXWARN) $(CFLAGS) $(PKG_CFLAGS) -Iworker
ALL_CFLAGS := -std=gnu17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread \
	   $(WARN) $(CFLAGS) $(PKG_CFLAGS) \
	   -Icommon -Iqueue -Istorage -Iprivsep -Icrypto -Iworker -Ischeduler -Inotifier -Icli \
	   -Itests/unit -Itests/storage
LIBS	:= $(PKG_LIBS) -lstdc++ -pthread -lm

MODULES	:= common queue storage privsep crypto worker scheduler notifier cli
ALLSRC	:= $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
MAINS	:= $(filter %_main.c,$(ALLSRC))
LIBSRC	:= $(filter-out %_main.c,$(ALLSRC))
CXXSRC	:= $(foreach m,$(MODULES),$(wildcard $(m)/*.cc))
LIBOBJ	:= $(LIBSRC:%.c=$(OBJDIR)/%.o) $(CXXSRC:%.cc=$(OBJDIR)/%.o)
LIBA	:= $(OBJDIR)/libpanelbackup.a

PROGS	:= bin/backupctl bin/backup bin/backup-worker bin/backup-scheduler \
	   bin/backup-notifier
main_of	= $(OBJDIR)/$(patsubst bin/%,%,$(subst -,_,$(1)))

TESTSRC	:= $(wildcard tests/unit/test_*.c) $(wildcard tests/storage/test_*.c)
TESTLIB	:= $(filter-out $(TESTSRC),$(wildcard tests/unit/*.c tests/storage/*.c))
TESTBIN	:= $(TESTSRC:tests/%.c=$(OBJDIR)/tests/%)
TESTLIBOBJ := $(TESTLIB:%.c=$(OBJDIR)/%.o)

.PHONY: all build programs sanitize deps deps-run test test-only run bench \
	bench-scale fuzz soak clean install check-flavor reference bare-check

all: deps-run
	@$(MAKE) --no-print-directory build

build: programs $(TESTBIN) $(OBJDIR)/lib/faultfs.so

programs: check-flavor $(PROGS) $(PROGS:bin/%=$(OBJDIR)/bin/%)

# Programs are linked per flavor into build/<flavor>/bin (the tests use
# those, so a sanitized and an optimized build never trip over each other)
# and copied to bin/ (what make run, make install and users get).
check-flavor:
	@mkdir -p build bin
	@[ "$$(cat build/flavor 2>/dev/null)" = "$(FLAVOR)" ] || \
	    { echo $(FLAVOR) > build/flavor; rm -f $(PROGS); }

bin/%: $(OBJDIR)/bin/%
	@mkdir -p bin
	cp -f $< $@.tmp && mv -f $@.tmp $@

sanitize: deps-run
	@$(MAKE) --no-print-directory SAN=1 build

deps:
	@sh scripts/deps.sh test

deps-run:
	@sh scripts/deps.sh run

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OBJDIR)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIBOBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(OBJDIR)/bin/backupctl: $(OBJDIR)/cli/backupctl_main.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(OBJDIR)/bin/backup: $(OBJDIR)/cli/backup_main.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(OBJDIR)/bin/backup-worker: $(OBJDIR)/worker/worker_main.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(OBJDIR)/bin/backup-scheduler: $(OBJDIR)/scheduler/scheduler_main.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(OBJDIR)/bin/backup-notifier: $(OBJDIR)/notifier/notifier_main.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(OBJDIR)/tests/%: tests/%.c $(TESTLIBOBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) -o $@ \
	    $< $(TESTLIBOBJ) $(LIBA) $(LIBS)

# The fault-injection shim of the black-box tests (LD_PRELOAD); never
# sanitized, so it can load before or without the ASan runtime.
$(OBJDIR)/lib/faultfs.so: tests/lib/faultfs.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -fPIC -shared -D_GNU_SOURCE -Wall -o $@ $< -ldl

# The whole suite: unit tests, the storage conformance suite, black-box
# tests with real servers.  Ends with "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory SAN=$(SAN) build
	sh tests/run.sh $(OBJDIR)/tests

test-only: build
	sh tests/run.sh $(OBJDIR)/tests

# make run shows the demo, not the compiler: the build's output goes to
# build/run-build.log and is printed only when the build fails.
run: deps-run
	@mkdir -p build
	@echo "make run: building bin/ (log: build/run-build.log)"
	@$(MAKE) --no-print-directory programs >build/run-build.log 2>&1 || \
	    { cat build/run-build.log; \
	      echo "make run: the build failed (log: build/run-build.log)"; \
	      exit 1; }
	@sh scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory build
	sh bench/run.sh

bench-scale: deps
	@$(MAKE) --no-print-directory build
	sh bench/scale.sh

# The README's commands on a bare Debian 12 (debootstrap, then only git,
# make and ca-certificates): not part of make test (about an hour, and it
# needs the Debian mirror); see scripts/bare-check.sh.
bare-check:
	sh scripts/bare-check.sh

fuzz:
	sh tests/fuzz/run.sh

# make soak: the long runs kept out of make test, one after the other (each
# wants both cores): a 30 GiB sparse file and a tree of 1 million files
# (PB_SOAK=1 of the fault scripts), then the job-system soak.
soak: deps
	@$(MAKE) --no-print-directory build
	PB_SOAK=1 TEST_TIMEOUT=7200 TESTS=fault_sources \
	    sh tests/run.sh $(OBJDIR)/tests
	PB_SOAK=1 TEST_TIMEOUT=7200 TESTS=fault_million_files \
	    sh tests/run.sh $(OBJDIR)/tests
	[ ! -f tests/soak/soak.sh ] || sh tests/soak/soak.sh

reference: programs
	bin/backupctl config reference

# make install [PREFIX=/usr/local] [DESTDIR=] [UNITDIR=...]: programs, man
# pages, systemd units (ExecStart rewritten to BINDIR), sysusers.d and
# tmpfiles.d entries, the example config and docs.  NOBUILD=1 installs what
# INSTALL_BIN holds without building first (the tests install their
# flavor's build/<flavor>/bin and must not rebuild the shared tree).
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/panel-backup
SYSTEMDLIBDIR ?= $(PREFIX)/lib
UNITDIR	?= $(SYSTEMDLIBDIR)/systemd/system
SYSUSERSDIR ?= $(SYSTEMDLIBDIR)/sysusers.d
TMPFILESDIR ?= $(SYSTEMDLIBDIR)/tmpfiles.d
INSTALL_BIN ?= bin
UNITS	:= $(wildcard deploy/systemd/*.service deploy/systemd/*.target)
install:
	$(if $(NOBUILD),,@sh scripts/deps.sh run)
	$(if $(NOBUILD),,@$(MAKE) --no-print-directory programs)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(PROGS:bin/%=$(INSTALL_BIN)/%) $(DESTDIR)$(BINDIR)/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/
	for u in $(UNITS); do \
	    sed 's|/usr/local/bin/|$(BINDIR)/|g' $$u \
	        >$(DESTDIR)$(UNITDIR)/$${u##*/} && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	install -m 644 deploy/systemd/panel-backup.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/panel-backup.conf
	install -m 644 deploy/systemd/panel-backup.tmpfiles \
	    $(DESTDIR)$(TMPFILESDIR)/panel-backup.conf
	install -m 644 deploy/panel-backup.conf.example README.md \
	    $(filter-out docs/HACKING.md,$(wildcard docs/*.md)) $(DESTDIR)$(DOCDIR)/

clean:
	rm -rf build bin

# Kept, so a second make relinks no test program.
.SECONDARY: $(TESTLIBOBJ)

-include $(ALLSRC:%.c=$(OBJDIR)/%.d) $(CXXSRC:%.cc=$(OBJDIR)/%.d) $(TESTLIBOBJ:.o=.d) $(TESTBIN:=.d)
