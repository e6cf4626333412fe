# tests/fuzz/fuzz.mk - builds the libFuzzer harnesses with clang into
# build/fuzz/ (called by tests/fuzz/run.sh; `make fuzz` runs that).
#
# Each harness links the sources it exercises, compiled here with
# -fsanitize=fuzzer-no-link,address,undefined, from per-module archives
# (the linker takes only the objects a harness needs).  The gcc builds in
# build/opt and build/san are not touched.

FCC	:= clang
PKGS	:= hiredis jansson libcurl libsodium libcrypto libpcre2-8 expat
FUZZDIR	:= build/fuzz
SANFL	:= -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	   -fno-sanitize=function
FCFLAGS	:= -std=gnu17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread -g -O1 \
	   -fno-omit-frame-pointer $(SANFL) -fsanitize=fuzzer-no-link \
	   $(shell pkg-config --cflags $(PKGS)) \
	   -Icommon -Iqueue -Istorage -Iprivsep -Icrypto -Iworker -Inotifier -Itests/fuzz
FLIBS	:= $(shell pkg-config --libs $(PKGS)) -pthread -lm

COMMON	:= $(wildcard common/*.c)
NOTIFY	:= $(filter-out %_main.c,$(wildcard notifier/*.c))
QUEUE	:= $(filter-out %_main.c,$(wildcard queue/*.c))
AGE	:= $(wildcard crypto/crypt_age*.c)
XML	:= storage/xmlread.c storage/listing.c storage/partial.c

obj	= $(patsubst %.c,$(FUZZDIR)/obj/%.o,$(1))

.SECONDARY:

HARNESSES := dotenv cron notify_url age_header job_msg xml
BINS	:= $(HARNESSES:%=$(FUZZDIR)/fuzz_%)

all: $(BINS)

$(FUZZDIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FCC) $(FCFLAGS) -MMD -MP -c $< -o $@

$(FUZZDIR)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(FUZZDIR)/libcommon.a: $(call obj,$(COMMON))
$(FUZZDIR)/libnotify.a: $(call obj,$(NOTIFY))
$(FUZZDIR)/libqueue.a: $(call obj,$(QUEUE))
$(FUZZDIR)/libage.a: $(call obj,$(AGE))
$(FUZZDIR)/libxml.a: $(call obj,$(XML))

$(FUZZDIR)/fuzz_%: $(FUZZDIR)/obj/tests/fuzz/fuzz_%.o
	$(FCC) $(SANFL) -fsanitize=fuzzer -o $@ $(filter %.o,$^) \
	    $(filter %.a,$^) $(FUZZDIR)/libcommon.a $(FLIBS)

$(FUZZDIR)/fuzz_dotenv $(FUZZDIR)/fuzz_cron: $(FUZZDIR)/libcommon.a
$(FUZZDIR)/fuzz_notify_url: $(FUZZDIR)/libnotify.a $(FUZZDIR)/libcommon.a
$(FUZZDIR)/fuzz_job_msg: $(FUZZDIR)/libqueue.a $(FUZZDIR)/libcommon.a
$(FUZZDIR)/fuzz_age_header: $(FUZZDIR)/libage.a $(FUZZDIR)/libcommon.a
$(FUZZDIR)/fuzz_xml: $(FUZZDIR)/libxml.a $(FUZZDIR)/libcommon.a

-include $(shell find $(FUZZDIR)/obj -name '*.d' 2>/dev/null)
