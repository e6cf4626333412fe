/*
 * re2_wrap.cc - the one C++ file: RE2 behind a C API (see re2_wrap.h).
 *
 * Why RE2 and not PCRE2: the panel documents BACKUP_EXCLUDE_REGEXP as a
 * Go regexp, and Go's regexp is RE2: the same syntax (no backreferences,
 * no lookaround) and matching in time linear in the path, so a user's
 * pattern like (a+)+$ cannot stall a worker.  Go's remaining differences
 * (\C) are refused in exclude.c.
 *
 * No exception crosses into C: RE2 reports errors through ok(), and a
 * failed allocation in new is caught here.  Threads: a compiled RE2 is
 * safe to search from many threads at once.
 */
#include <new>
#include <cstdio>
#include <cstring>

#include <re2/re2.h>

#include "re2_wrap.h"

struct re2w {
	re2::RE2	*re;
};

extern "C" struct re2w *
re2w_compile(const char *pattern, char *msg, size_t msglen)
{
	RE2::Options opt;
	re2w *w = nullptr;

	opt.set_log_errors(false);
	opt.set_encoding(RE2::Options::EncodingUTF8);
	/* Go's limit on program size is its own; RE2's default (8 MiB of
	 * automaton memory) keeps a hostile pattern bounded. */
	try {
		w = new re2w;
		w->re = new re2::RE2(pattern, opt);
	} catch (const std::bad_alloc &) {
		delete w;
		snprintf(msg, msglen, "out of memory compiling the regexp");
		return nullptr;
	}
	if (!w->re->ok()) {
		snprintf(msg, msglen, "%s", w->re->error().c_str());
		delete w->re;
		delete w;
		return nullptr;
	}
	return w;
}

extern "C" bool
re2w_search(const struct re2w *w, const char *text, size_t len)
{
	return re2::RE2::PartialMatch(re2::StringPiece(text, len), *w->re);
}

extern "C" void
re2w_free(struct re2w *w)
{
	if (w == nullptr)
		return;
	delete w->re;
	delete w;
}
