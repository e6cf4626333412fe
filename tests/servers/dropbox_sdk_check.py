#!/usr/bin/python3
"""dropbox_sdk_check.py PORT CADIR - hold the Dropbox double to Dropbox's spec.

Runs Debian's python3-dropbox (the official SDK, which checks every answer
against Dropbox's Stone API spec) against dropbox_double.py, and prints one
line per check: "ok - what" or "not ok - what: why".  Exit status 0 when
every check passed.  The double's defaults (testkey, testsecret,
test-refresh-token) are assumed.
"""
import hashlib
import json
import os
import ssl
import sys
import urllib.request

port, cadir = sys.argv[1], sys.argv[2]
os.environ["DROPBOX_API_HOST"] = "localhost:" + port
os.environ["DROPBOX_API_CONTENT_HOST"] = "localhost:" + port
os.environ["REQUESTS_CA_BUNDLE"] = os.path.join(cadir, "ca.pem")

import dropbox  # noqa: E402  (reads the hosts above at import)
from dropbox import files as F  # noqa: E402
from dropbox.exceptions import ApiError, AuthError, RateLimitError  # noqa: E402

MiB = 1024 * 1024
failed = 0


def check(what, fn):
    global failed
    try:
        r = fn()
        if r is False:
            raise AssertionError("check returned false")
        print("ok - " + what)
    except Exception as e:  # report and go on: one line per check
        failed += 1
        print("not ok - %s: %s: %s" % (what, type(e).__name__, e))


def control(body):
    ctx = ssl.create_default_context(cafile=os.path.join(cadir, "ca.pem"))
    req = urllib.request.Request("https://localhost:%s/__control" % port,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.load(r)


def chash(data):
    h = hashlib.sha256()
    for i in range(0, len(data), 4 * MiB):
        h.update(hashlib.sha256(data[i:i + 4 * MiB]).digest())
    return h.hexdigest()


def client(**kw):
    return dropbox.Dropbox(oauth2_refresh_token=kw.pop("refresh", "test-refresh-token"),
                           app_key="testkey", app_secret=kw.pop("secret", "testsecret"), **kw)


dbx = client()


def expect_api_error(fn, test):
    try:
        fn()
    except ApiError as e:
        if not test(e.error):
            raise AssertionError("unexpected error %r" % (e.error,))
        return True
    raise AssertionError("no error")


check("refresh token exchanged for an access token",
      lambda: dbx.check_and_refresh_access_token() or dbx._oauth2_access_token.startswith("sl."))
check("create_folder_v2 answers FolderMetadata",
      lambda: dbx.files_create_folder_v2("/Backups").metadata.name == "Backups")
check("create_folder_v2 on an existing folder: path/conflict/folder",
      lambda: expect_api_error(lambda: dbx.files_create_folder_v2("/backups"),
                               lambda e: e.is_path() and e.get_path().is_conflict()
                               and e.get_path().get_conflict().is_folder()))

data = os.urandom(8 * MiB + 12345)


def concurrent_upload():
    s = dbx.files_upload_session_start(b"", session_type=F.UploadSessionType.concurrent)
    dbx.files_upload_session_append_v2(data[4 * MiB:8 * MiB],
                                       F.UploadSessionCursor(s.session_id, 4 * MiB))
    dbx.files_upload_session_append_v2(data[:4 * MiB], F.UploadSessionCursor(s.session_id, 0))
    dbx.files_upload_session_append_v2(data[8 * MiB:], F.UploadSessionCursor(s.session_id, 8 * MiB),
                                       close=True)
    m = dbx.files_upload_session_finish(b"", F.UploadSessionCursor(s.session_id, len(data)),
                                        F.CommitInfo("/Backups/conc.bin"))
    return m.size == len(data) and m.content_hash == chash(data) and len(m.rev) >= 9


check("concurrent session (out-of-order appends, close, finish) stores the file",
      concurrent_upload)


def sequential_upload():
    s = dbx.files_upload_session_start(data[:1000])
    dbx.files_upload_session_append_v2(data[1000:5000], F.UploadSessionCursor(s.session_id, 1000))
    expect_api_error(
        lambda: dbx.files_upload_session_append_v2(b"x", F.UploadSessionCursor(s.session_id, 7)),
        lambda e: e.is_incorrect_offset() and e.get_incorrect_offset().correct_offset == 5000)
    m = dbx.files_upload_session_finish(data[5000:6000], F.UploadSessionCursor(s.session_id, 5000),
                                        F.CommitInfo("/Backups/Seq.bin"))
    return m.size == 6000 and m.path_display == "/Backups/Seq.bin"


check("sequential session with incorrect_offset decoded", sequential_upload)
check("finish onto an existing name in add mode: path/conflict/file",
      lambda: expect_api_error(
          lambda: dbx.files_upload_session_finish(
              b"abc", F.UploadSessionCursor(dbx.files_upload_session_start(b"").session_id, 0),
              F.CommitInfo("/backups/seq.bin")),
          lambda e: e.is_path() and e.get_path().is_conflict()))


check("finish of an unknown session: lookup_failed/not_found",
      lambda: expect_api_error(
          lambda: dbx.files_upload_session_finish(
              b"", F.UploadSessionCursor("pid_upload_session:nope", 0),
              F.CommitInfo("/Backups/x.bin")),
          lambda e: e.is_lookup_failed() and e.get_lookup_failed().is_not_found()))


def full():
    control({"quota": 10})
    try:
        return expect_api_error(
            lambda: dbx.files_upload_session_finish(
                b"x" * 11, F.UploadSessionCursor(dbx.files_upload_session_start(b"").session_id, 0),
                F.CommitInfo("/Backups/full.bin")),
            lambda e: e.is_path() and e.get_path().is_insufficient_space())
    finally:
        control({"quota": None})


check("a full Dropbox: path/insufficient_space", full)
check("get_metadata answers FileMetadata",
      lambda: isinstance(dbx.files_get_metadata("/Backups/conc.bin"), F.FileMetadata))


def unicode_name():
    name = "/Backups/S\u00e9curit\u00e9 \u2713.bin"
    m = dbx.files_upload_session_finish(
        b"hi", F.UploadSessionCursor(dbx.files_upload_session_start(b"").session_id, 0),
        F.CommitInfo(name))
    md, resp = dbx.files_download(name)
    return m.name == "S\u00e9curit\u00e9 \u2713.bin" and resp.content == b"hi" and md.size == 2


check("non-ASCII names round-trip through Dropbox-API-Arg", unicode_name)


def listing():
    r = dbx.files_list_folder("/Backups", limit=1)
    names = [e.name for e in r.entries]
    pages = 1
    while r.has_more:
        r = dbx.files_list_folder_continue(r.cursor)
        names += [e.name for e in r.entries]
        pages += 1
    root = dbx.files_list_folder("")
    return (sorted(names) == sorted(["conc.bin", "Seq.bin", "S\u00e9curit\u00e9 \u2713.bin"])
            and pages >= 3 and any(isinstance(e, F.FolderMetadata) for e in root.entries))


check("list_folder + continue pages through every entry", listing)


def download():
    md, resp = dbx.files_download("/Backups/conc.bin")
    return resp.content == data and md.content_hash == chash(data)


check("download returns the bytes and Dropbox-API-Result metadata", download)
check("list_folder of a missing folder: path/not_found",
      lambda: expect_api_error(lambda: dbx.files_list_folder("/nope"),
                               lambda e: e.is_path() and e.get_path().is_not_found()))
check("delete_v2 answers the deleted file's metadata",
      lambda: dbx.files_delete_v2("/Backups/Seq.bin").metadata.name == "Seq.bin")
check("delete_v2 of a missing file: path_lookup/not_found",
      lambda: expect_api_error(lambda: dbx.files_delete_v2("/Backups/Seq.bin"),
                               lambda e: e.is_path_lookup() and
                               e.get_path_lookup().is_not_found()))


def expired():
    # The SDK decodes 401 expired_access_token and refreshes by itself.
    before = control(None)["tokens_issued"]
    control({"expire_tokens": True})
    dbx.files_list_folder("/Backups")
    return control(None)["tokens_issued"] == before + 1


check("an expired access token (401 expired_access_token) is refreshed", expired)


def rate_limited():
    control({"faults": [{"route": "files/list_folder", "kind": "429"}]})
    c = client(max_retries_on_rate_limit=0)
    try:
        c.files_list_folder("/Backups")
    except RateLimitError as e:
        return e.backoff == 1 and e.error.reason.is_too_many_write_operations()
    raise AssertionError("no rate limit")


check("429 decoded with its reason and Retry-After", rate_limited)


def bad_refresh():
    try:
        client(refresh="wrong").files_list_folder("/Backups")
    except AuthError as e:
        return e.error.is_invalid_access_token()
    raise AssertionError("wrong refresh token accepted")


check("a wrong refresh token is refused (invalid_grant)", bad_refresh)
sys.exit(1 if failed else 0)
