/*
 * queue_int.h - what queue.c and queue_read.c share.
 */
#ifndef BK_QUEUE_INT_H
#define BK_QUEUE_INT_H

#include <stdarg.h>

#include <hiredis/hiredis.h>

#include "queue.h"

struct queue {
	redisContext		*c;
	char			*host;
	int			 port;
	char			*sock;
	char			*user;
	char			*pass;		/* a secret */
	int			 db;
	char			*name;		/* CLIENT SETNAME */
	char			*node;
	char			*prefix;	/* "bk:{node}:" */
	char			 where[300];	/* host:port or socket path */
	int			 timeout_ms;
	struct queue_policy	 pol;
	/* redis-sentinel:// (queue_conn.c); master NULL: a direct URL. */
	char			*master;
	char			**sent_host;
	int			*sent_port;
	size_t			 nsent;
	redisContext		*sub;		/* +switch-master, or NULL */
	bool			 subscribe;	/* daemons listen to sentinels */
	bool			 stale;		/* re-ask before next command */
	int64_t			 sub_retry_ms;
	int			 wait_ms;	/* REDIS_REPLICA_WAIT */
};

/* queue_conn.c */
int		 q_parse_url(struct queue *, const char *url, struct bk_err *);
/* (Re)connect: ask the sentinels, connect, load the functions. */
int		 q_connect(struct queue *, struct bk_err *);
/* True when the connection can take a command (no switch seen). */
bool		 q_usable(struct queue *);
/* WAIT 1 REDIS_REPLICA_WAIT after a write that must survive a failover
 * (sentinel URLs only); -1 retryable when no replica confirmed it. */
int		 q_replicated(struct queue *, const char *what, struct bk_err *);
void		 q_set_timeout(redisContext *, int ms);
void		 q_conn_free(struct queue *);

int		 q_fail(struct queue *, redisReply *, const char *,
		    struct bk_err *);
redisReply	*q_cmd(struct queue *, struct bk_err *, const char *, ...);
void		 q_cmd_free(redisReply *);
redisReply	*q_fcall(struct queue *, const char *node, struct bk_err *,
		    const char *fn, const char *const *args, size_t nargs);
/* The node whose keys hold job id (allocated); BK_ENOENT if none. */
int		 q_job_node(struct queue *, const char *id, char **node,
		    struct bk_err *);

/* Field of an HGETALL reply, or NULL. */
const char	*q_field(redisReply *, const char *name);
/* o[key] = RFC 3339 of ms * mult, or null when ms is empty. */
void		 q_set_time(json_t *o, const char *key, const char *ms,
		    int64_t mult);
/* o[key] = v, or null when v is empty. */
void		 q_set_str(json_t *o, const char *key, const char *v);

#endif
