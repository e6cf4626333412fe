/*
 * sftp_session.h - the SFTP backend's connection: TCP with a deadline,
 * the SSH handshake, the host key check, login by key or password, the
 * SFTP subsystem, and the mapping of libssh2 failures to bk_err.
 */
#ifndef BK_SFTP_SESSION_H
#define BK_SFTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

struct bk_err;
struct netpolicy;
struct storage_config;

struct sftp_session {
	char			*host;
	int			 port;
	char			*user;
	const char		*password;	/* borrowed from settings */
	const char		*passphrase;
	char			*key;		/* private key text */
	size_t			 keylen;
	char			*key_path;
	char			*pin;
	char			*known_file;
	int			 sock;
	struct netpolicy	*np;		/* OUTBOUND_ALLOW */
	LIBSSH2_SESSION		*ss;
	LIBSSH2_SFTP		*sftp;		/* NULL: not connected */
};

/* Read the SSH_* login settings (host, port, user, key or password, host
 * key pin or STATE_DIR); BK_ECONFIG naming the setting that is wrong.
 * Whatever happens, sftp_session_cleanup() frees what was taken. */
int	sftp_session_init(struct sftp_session *, const struct storage_config *,
	    struct bk_err *);
void	sftp_session_cleanup(struct sftp_session *);

/* Connect and log in when there is no session (one attempt; callers
 * retry), else keep the one there is alive. */
int	sftp_session_connect(struct sftp_session *, struct bk_err *);
void	sftp_session_disconnect(struct sftp_session *);

/* After a failure: true (having waited) if another attempt is worth it. */
bool	sftp_retry_wait(const struct bk_err *, int *attempt);

/*
 * Turn the last libssh2 failure of "what path" into err and return -1.
 * SFTP status codes map to ENOENT and friends; a session failure drops
 * the connection so the next attempt reconnects.
 */
int	sftp_session_fail(struct sftp_session *, struct bk_err *,
	    const char *what, const char *path);

#endif
